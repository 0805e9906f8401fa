package main

import (
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/baton-dev/baton/state"
	"github.com/baton-dev/baton/terminal"
	"github.com/baton-dev/baton/token"
)

func newTokensCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "tokens",
		Short: "Manage API tokens",
		Long: `Tokens for the HTTP API of baton watch --listen. A secret is printed once, at
creation; the state keeps only its hash. Scopes: ` + strings.Join(token.Scopes, ", ") + `.
Every orchestration also has its own token, which its tasks get as
BATON_TOKEN; it is never listed and only rotated with refresh.`,
	}
	cmd.AddCommand(newTokensCreateCommand(g), newTokensListCommand(g), newTokensRevokeCommand(g), newTokensRefreshCommand(g))
	return cmd
}

func newTokensCreateCommand(g *globals) *cobra.Command {
	var (
		description    string
		scopes         []string
		orchestrations []string
		owner          string
		asJSON         bool
	)
	cmd := &cobra.Command{
		Use:   "create --description D --scope S [--scope S ..] [--orchestration NAME ..] [--owner EMAIL]",
		Short: "Create a token and print its secret (shown only once)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if description == "" {
				return &exitError{code: exitFailure, err: fmt.Errorf("--description is required: say who or what uses the token")}
			}
			return g.withStore(cmd.Context(), func(st state.Store) error {
				tokens, err := g.tokens(st)
				if err != nil {
					return err
				}
				secret, tok, err := tokens.Create(cmd.Context(), state.Token{Description: description, Owner: owner, Scopes: scopes, Orchestrations: orchestrations})
				if err != nil {
					return &exitError{code: exitFailure, err: err}
				}
				if asJSON {
					return writeJSON(g.stdout, struct {
						state.Token
						Secret string `json:"token"`
					}{tok, secret})
				}
				fmt.Fprintln(g.stdout, secret)
				fmt.Fprintf(g.stderr, "baton: created token %s (%s); the secret above is shown only now\n", tok.ID, strings.Join(tok.Scopes, ", "))
				return nil
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&description, "description", "", "what the token is for")
	f.StringArrayVar(&scopes, "scope", nil, "a scope: "+strings.Join(token.Scopes, ", ")+" (repeatable)")
	f.StringArrayVar(&orchestrations, "orchestration", nil, "limit the token to this orchestration (repeatable)")
	f.StringVar(&owner, "owner", "", "the owner's e-mail; manual runs with the token notify it")
	f.BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newTokensListCommand(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List tokens (never their secrets)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.withStore(cmd.Context(), func(st state.Store) error {
				tokens, err := st.ListTokens(cmd.Context())
				if err != nil {
					return err
				}
				if asJSON {
					if tokens == nil {
						tokens = []state.Token{}
					}
					return writeJSON(g.stdout, tokens)
				}
				tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tDESCRIPTION\tOWNER\tSCOPES\tORCHESTRATIONS\tCREATED\tREVOKED")
				for _, t := range tokens {
					revoked := "-"
					if !t.RevokedAt.IsZero() {
						revoked = t.RevokedAt.Format(time.RFC3339)
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", terminal.Escape(t.ID), terminal.Escape(t.Description), terminal.Escape(t.Owner), terminal.Escape(strings.Join(t.Scopes, ",")), terminal.Escape(strings.Join(t.Orchestrations, ",")), t.CreatedAt.Format(time.RFC3339), revoked)
				}
				return tw.Flush()
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newTokensRevokeCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "revoke ID",
		Short: "Revoke a token",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withStore(cmd.Context(), func(st state.Store) error {
				if err := st.RevokeToken(cmd.Context(), args[0], time.Now().UTC()); err != nil {
					return &exitError{code: exitFailure, err: err}
				}
				fmt.Fprintf(g.stderr, "baton: revoked token %s\n", args[0])
				return nil
			})
		},
	}
}

func newTokensRefreshCommand(g *globals) *cobra.Command {
	var orchestration string
	cmd := &cobra.Command{
		Use:   "refresh --orchestration NAME",
		Short: "Rotate an orchestration's token; running jobs keep the old one until they end",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if orchestration == "" {
				return &exitError{code: exitFailure, err: fmt.Errorf("--orchestration is required")}
			}
			return g.withStore(cmd.Context(), func(st state.Store) error {
				if _, err := st.AppliedObject(cmd.Context(), "orchestration", orchestration); err != nil {
					return &exitError{code: exitFailure, err: fmt.Errorf("orchestration %q is not applied: %w", orchestration, err)}
				}
				tokens, err := g.tokens(st)
				if err != nil {
					return err
				}
				tok, err := tokens.Refresh(cmd.Context(), orchestration)
				if err != nil {
					return &exitError{code: exitFailure, err: err}
				}
				fmt.Fprintf(g.stderr, "baton: orchestration %s now runs with token %s; jobs already running keep the old one until they end\n", terminal.Escape(orchestration), tok.ID)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&orchestration, "orchestration", "", "the orchestration whose token to rotate")
	return cmd
}
