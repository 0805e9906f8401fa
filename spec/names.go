package spec

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Name rules. Names (of orchestrations, tasks, phases, configurations,
// components and notification channels) and table ids are printed to
// terminals, put in URLs, environment variables and comma-separated
// selections, so they are limited to characters that are safe in all of
// them.
const (
	// MaxNameLength is the most characters a name may have.
	MaxNameLength = 100
	// MaxTableIDLength is the most characters a table id may have.
	MaxTableIDLength = 200
	// namePunctuation is the punctuation a name may hold besides letters,
	// digits and single spaces between words.
	namePunctuation = "_-.:()[]&+'/#@"
	// tableIDPunctuation is the punctuation a table id may hold besides
	// letters and digits; it has no spaces.
	tableIDPunctuation = "_-.:/@$"
)

// NameRule and TableIDRule describe the rules in messages and hints.
const (
	NameRule    = "names have 1 to 100 characters: letters, digits, single spaces between words and _ - . : ( ) [ ] & + ' / # @"
	TableIDRule = "table ids have 1 to 200 characters: letters, digits and _ - . : / @ $"
)

// CheckName reports what is wrong with a name, or nil.
func CheckName(s string) error {
	if err := checkText(s, MaxNameLength, namePunctuation, true); err != nil {
		return fmt.Errorf("%w; %s", err, NameRule)
	}
	return nil
}

// CheckTableID reports what is wrong with a table id, or nil.
func CheckTableID(s string) error {
	if err := checkText(s, MaxTableIDLength, tableIDPunctuation, false); err != nil {
		return fmt.Errorf("%w; %s", err, TableIDRule)
	}
	return nil
}

func checkText(s string, maxLen int, punct string, spaces bool) error {
	if s == "" {
		return fmt.Errorf("it is empty")
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("it is not valid UTF-8")
	}
	if n := utf8.RuneCountInString(s); n > maxLen {
		return fmt.Errorf("it has %d characters", n)
	}
	if spaces && (strings.HasPrefix(s, " ") || strings.HasSuffix(s, " ") || strings.Contains(s, "  ")) {
		return fmt.Errorf("it has leading, trailing or double spaces")
	}
	for i, r := range s {
		switch {
		case unicode.IsLetter(r), unicode.IsDigit(r), unicode.IsMark(r) && i > 0:
		case r == ' ' && spaces:
		case r < utf8.RuneSelf && strings.ContainsRune(punct, r):
		default:
			return fmt.Errorf("character %s at byte %d is not allowed", describeRune(r), i)
		}
	}
	return nil
}

// describeRune names a character so that printing it is safe.
func describeRune(r rune) string {
	if unicode.IsPrint(r) {
		return fmt.Sprintf("%q (U+%04X)", r, r)
	}
	return fmt.Sprintf("U+%04X", r)
}

// MaxDescriptionLength is the most characters a description may have.
const MaxDescriptionLength = 1000

// CheckDescription reports a description that is too long or holds
// characters that are not printable (control and invisible formatting
// characters), or nil.
func CheckDescription(s string) error {
	if n := utf8.RuneCountInString(s); n > MaxDescriptionLength {
		return fmt.Errorf("it has %d characters; at most %d", n, MaxDescriptionLength)
	}
	for i, r := range s {
		if r == utf8.RuneError || !unicode.IsPrint(r) {
			return fmt.Errorf("character %s at byte %d is not printable; write plain text on one line", describeRune(r), i)
		}
	}
	return nil
}
