package reconciler

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/baton-dev/baton/internal/gitrepotest"
)

const sshdPath = "/usr/sbin/sshd"

// sshServer is a real sshd on 127.0.0.1 that lets the holder of the user
// key run git-upload-pack.
type sshServer struct {
	port       int
	knownHosts string // a known_hosts file with the server's host key
	userKey    string // path of the user's private key, encrypted with passphrase
	passphrase string
}

func writeKey(t *testing.T, path string, priv ed25519.PrivateKey, passphrase string) {
	t.Helper()
	var block *pem.Block
	var err error
	if passphrase == "" {
		block, err = ssh.MarshalPrivateKey(priv, "")
	} else {
		block, err = ssh.MarshalPrivateKeyWithPassphrase(priv, "", []byte(passphrase))
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
}

func startSSHD(t *testing.T) *sshServer {
	t.Helper()
	if _, err := os.Stat(sshdPath); err != nil || os.Geteuid() != 0 {
		if os.Getenv("CI") != "" {
			t.Fatalf("sshd needs %s and root (.ci/run installs openssh-server and runs as root): %v", sshdPath, err)
		}
		t.Skipf("sshd needs %s and root", sshdPath)
	}
	dir := t.TempDir()
	_, hostPriv, _ := ed25519.GenerateKey(rand.Reader)
	userPub, userPriv, _ := ed25519.GenerateKey(rand.Reader)
	writeKey(t, filepath.Join(dir, "host_key"), hostPriv, "")
	s := &sshServer{userKey: filepath.Join(dir, "user_key"), passphrase: "correct horse", knownHosts: filepath.Join(dir, "known_hosts")}
	writeKey(t, s.userKey, userPriv, s.passphrase)
	sshUserPub, _ := ssh.NewPublicKey(userPub)
	if err := os.WriteFile(filepath.Join(dir, "authorized_keys"), ssh.MarshalAuthorizedKey(sshUserPub), 0o600); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.port = ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	hostSigner, _ := ssh.NewSignerFromKey(hostPriv)
	known := fmt.Sprintf("[127.0.0.1]:%d %s", s.port, ssh.MarshalAuthorizedKey(hostSigner.PublicKey()))
	if err := os.WriteFile(s.knownHosts, []byte(known), 0o600); err != nil {
		t.Fatal(err)
	}
	config := strings.Join([]string{
		fmt.Sprintf("Port %d", s.port),
		"ListenAddress 127.0.0.1",
		"HostKey " + filepath.Join(dir, "host_key"),
		"AuthorizedKeysFile " + filepath.Join(dir, "authorized_keys"),
		"PidFile " + filepath.Join(dir, "sshd.pid"),
		"StrictModes no",
		"PasswordAuthentication no",
		"KbdInteractiveAuthentication no",
		"PubkeyAuthentication yes",
		"PermitRootLogin prohibit-password",
		"UsePAM no",
	}, "\n") + "\n"
	if err := os.WriteFile(filepath.Join(dir, "sshd_config"), []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil { // privilege separation directory
		t.Fatal(err)
	}
	cmd := exec.Command(sshdPath, "-D", "-e", "-f", filepath.Join(dir, "sshd_config"))
	var logs strings.Builder
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("sshd log:\n%s", logs.String())
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", s.port))
		if err == nil {
			c.Close()
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("sshd did not listen on port %d: %v\n%s", s.port, err, logs.String())
		}
		time.Sleep(20 * time.Millisecond) // polling with a deadline: sshd has no readiness signal
	}
}

// Issue 10 item 7: Git over a real sshd, with an encrypted key, its
// passphrase and a known_hosts file; a wrong key or an unknown host key
// fail with what to check.
func TestSSHSourceAgainstARealSSHD(t *testing.T) {
	s := startSSHD(t)
	repo := gitrepotest.New(t)
	repo.Commit("A", map[string]string{"configurations.hcl": configs, "orchestrations/daily.hcl": orchestration("daily", "0 6 * * *")})
	u := fmt.Sprintf("ssh://root@127.0.0.1:%d%s", s.port, repo.Dir)
	fetch := func(env map[string]string) error {
		src, err := Open(Options{Location: u, CacheDir: filepath.Join(t.TempDir(), "git"), Getenv: func(k string) string { return env[k] }})
		if err != nil {
			return err
		}
		_, err = src.Fetch(context.Background())
		return err
	}
	t.Setenv("SSH_KNOWN_HOSTS", s.knownHosts)
	if err := fetch(map[string]string{"BATON_GIT_SSH_KEY": s.userKey, "BATON_GIT_SSH_KEY_PASSPHRASE": s.passphrase}); err != nil {
		t.Fatalf("fetch over SSH: %v", err)
	}
	if err := fetch(map[string]string{"BATON_GIT_SSH_KEY": s.userKey}); err == nil || !strings.Contains(err.Error(), "BATON_GIT_SSH_KEY_PASSPHRASE") {
		t.Errorf("an encrypted key without its passphrase: %v", err)
	}
	_, other, _ := ed25519.GenerateKey(rand.Reader)
	wrongKey := filepath.Join(t.TempDir(), "wrong")
	writeKey(t, wrongKey, other, "")
	if err := fetch(map[string]string{"BATON_GIT_SSH_KEY": wrongKey}); err == nil || !strings.Contains(err.Error(), "authentication failed for "+u) {
		t.Errorf("a key the server does not know: %v", err)
	}
	empty := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SSH_KNOWN_HOSTS", empty)
	if err := fetch(map[string]string{"BATON_GIT_SSH_KEY": s.userKey, "BATON_GIT_SSH_KEY_PASSPHRASE": s.passphrase}); err == nil || !strings.Contains(err.Error(), "SSH_KNOWN_HOSTS") {
		t.Errorf("an unknown host key: %v", err)
	}
}
