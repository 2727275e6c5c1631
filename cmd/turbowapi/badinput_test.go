package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/turbowapi/turbowapi/internal/badinput"
	"github.com/turbowapi/turbowapi/internal/simtest"
)

// The bad-input catalogue through the command: every malformed input and every bad flag is
// answered by `turbowapi load` (run in-process against a simulated grid of its own) with
// exit status 2, a message naming the file, line and reason (or the flag), and nothing sent
// to the grid: not a connection, not a request.

// inProc runs the command in-process with the grid's URL and credentials in the
// environment, in the manner of a user who exported INFOBLOX_*.
func inProc(t *testing.T, g *simtest.Grid, stdin string, args ...string) result {
	t.Helper()
	return inProcEnv(t, gridEnv(g.URL, simtest.Password), stdin, args...)
}

// gridEnv is the environment of a user who exported the grid's URL, simtest.User and password.
func gridEnv(url, password string) map[string]string {
	return map[string]string{"INFOBLOX_SERVER": url, "INFOBLOX_USERNAME": simtest.User, "INFOBLOX_PASSWORD": password}
}

// inProcEnv runs the command in-process with this environment.
func inProcEnv(t *testing.T, environ map[string]string, stdin string, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	e := &env{stdin: strings.NewReader(stdin), stdout: &stdout, stderr: &stderr,
		getenv: func(k string) string { return environ[k] }}
	code := run(t.Context(), e, args)
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// checkNothingSent fails the test if the grid saw a connection or a request.
func checkNothingSent(t *testing.T, g *simtest.Grid) {
	t.Helper()
	if st := g.Server.Stats(); st.Connections != 0 || st.Requests != 0 {
		t.Errorf("the grid saw %d connections and %d requests (%d logins, by method %v): want none",
			st.Connections, st.Requests, st.Logins, st.RequestsByMethod)
	}
}

// cliDuplicate is the command's wording of a duplicate (the spool finds them, not the
// validator), for the catalogue's duplicate cases.
var cliDuplicate = map[string][]string{
	"csv duplicates": {"n.csv:4: duplicate network network=10.0.0.0/24&network_view=default: already given at n.csv:2"},
	"csv duplicate record names differ in case": {
		"a.csv:3: duplicate record:a ipv4addr=10.0.0.1&name=www.example.com&view=default: already given at a.csv:2"},
}

// TestBadInputCatalogueCLI runs every case of the input catalogue (package
// internal/badinput) through turbowapi load: the same file:line messages, exit status 2,
// nothing sent.
func TestBadInputCatalogueCLI(t *testing.T) {
	t.Parallel()
	cases := badinput.Cases()
	if len(cases) < 30 {
		t.Fatalf("catalogue has %d cases, want at least 30", len(cases))
	}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			t.Parallel()
			g := simtest.Start(t)
			dir := t.TempDir()
			journal := filepath.Join(dir, "journal.jsonl")
			args := []string{"load", "--ca-cert", g.CAFile, "--journal", journal}
			if c.Type != "" {
				args = append(args, "--type", c.Type)
			}
			want := c.Want
			if w, ok := cliDuplicate[c.Name]; ok {
				want = w
			}
			if c.Spec {
				args = append(args, "--generate", c.In)
			} else {
				if err := os.WriteFile(filepath.Join(dir, c.Source), []byte(c.In), 0o600); err != nil {
					t.Fatal(err)
				}
				args = append(args, filepath.Join(dir, c.Source))
				abs := make([]string, len(want))
				for i, w := range want {
					abs[i] = filepath.Join(dir, strings.ReplaceAll(w, "given at ", "given at "+dir+string(filepath.Separator)))
				}
				want = abs
			}
			r := inProc(t, g, "", args...)
			if r.code != exitUsage {
				t.Errorf("exit %d, want 2; stderr:\n%s", r.code, r.stderr)
			}
			var lines []string
			for l := range strings.SplitSeq(strings.TrimSpace(r.stderr), "\n") {
				if m, ok := strings.CutPrefix(l, "turbowapi load: "); ok && !strings.Contains(m, "nothing was sent") {
					lines = append(lines, m)
				}
			}
			if got := strings.Join(lines, "\n"); got != strings.Join(want, "\n") {
				t.Errorf("messages:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
			}
			if r.stdout != "" {
				t.Errorf("stdout: %q", r.stdout)
			}
			checkNothingSent(t, g)
			if _, err := os.Stat(journal); err == nil {
				t.Error("a journal was created")
			}
		})
	}
}

// TestBadInputFlagsCLI: bad and conflicting flags, and malformed inputs that need more than
// one source (several files, stdin, a generator), each through turbowapi load: exit status
// 2, every expected substring in stderr (the flag, or the file, line and reason), nothing
// sent.
func TestBadInputFlagsCLI(t *testing.T) {
	t.Parallel()
	const gen = "network 10.0.0.0/8 /24 4"
	const netCSV = "_type,network,comment\nnetwork,10.0.0.0/24,a\nnetwork,10.0.1.0/24,b\n"
	var many strings.Builder
	many.WriteString("network\n10.9.0.0/24\n")
	for i := range 25 {
		fmt.Fprintf(&many, "10.%d.0.1/24\n", i)
	}
	cases := []struct {
		name  string
		files map[string]string // written to the test's directory, named DIR/<name> in args
		stdin string
		args  []string // DIR is replaced by the directory
		env   map[string]string
		want  []string // DIR is replaced by the directory
		never []string // must not appear in stdout or stderr
	}{
		{name: "unknown strategy", args: []string{"--generate", gen, "--strategy", "fastest"},
			want: []string{`--strategy: unknown strategy "fastest" (want sequential, concurrent, batch or auto)`}},
		{name: "concurrency 0 with concurrent", args: []string{"--generate", gen, "--strategy", "concurrent", "--concurrency", "0"},
			want: []string{"concurrency 0 out of range [1, 1024]"}},
		{name: "negative concurrency", args: []string{"--generate", gen, "--strategy", "concurrent", "--concurrency", "-1"},
			want: []string{"concurrency -1 out of range [1, 1024]"}},
		{name: "concurrency not a number", args: []string{"--generate", gen, "--concurrency", "many"},
			want: []string{`invalid value "many" for flag -concurrency`}},
		{name: "batch size 0 with batch", args: []string{"--generate", gen, "--strategy", "batch", "--batch-size", "0"},
			want: []string{"batch size 0 out of range"}},
		{name: "sequential with concurrency", args: []string{"--generate", gen, "--strategy", "sequential", "--concurrency", "4"},
			want: []string{"the sequential strategy sends one object at a time: drop the concurrency and batch size"}},
		{name: "concurrent with batch size", args: []string{"--generate", gen, "--strategy", "concurrent", "--batch-size", "10"},
			want: []string{"batch"}},
		{name: "auto pinned over its maximum", args: []string{"--generate", gen, "--concurrency", "32", "--max-concurrency", "16"},
			want: []string{"32"}},
		{name: "max concurrency 0", args: []string{"--generate", gen, "--max-concurrency", "0"},
			want: []string{"max concurrency 0 out of range [1, 1024]"}},
		{name: "max attempts 0", args: []string{"--generate", gen, "--max-attempts", "0"},
			want: []string{"retry attempts 0 out of range [1, 100]"}},
		{name: "retry cap below base", args: []string{"--generate", gen, "--retry-base", "10s", "--retry-cap", "1s"},
			want: []string{"retry base 10s and cap 1s: want 0 < base <= cap"}},
		{name: "unknown conflict policy", args: []string{"--generate", gen, "--on-conflict", "merge"},
			want: []string{`--on-conflict: unknown conflict policy "merge" (want skip, update or fail)`}},
		{name: "unknown format", args: []string{"--generate", gen, "--format", "xml"},
			want: []string{`--format: input: unknown format "xml" (want csv, json or jsonl)`}},
		{name: "unknown --type", args: []string{"--generate", gen, "--type", "netwrk"},
			want: []string{`--type: input: unknown object type "netwrk" (did you mean "network"?)`}},
		{name: "resume with another journal", files: map[string]string{"a.jsonl": ""},
			args: []string{"--generate", gen, "--resume", "DIR/a.jsonl", "--journal", "DIR/b.jsonl"},
			want: []string{"--resume continues its own journal: drop --journal"}},
		{name: "resume of a missing journal", args: []string{"--generate", gen, "--resume", "DIR/gone.jsonl"},
			want: []string{"--resume", "DIR/gone.jsonl", "no such file or directory"}},
		{name: "journal exists", files: map[string]string{"old.jsonl": "{}\n"}, args: []string{"--generate", gen, "--journal", "DIR/old.jsonl"},
			want: []string{"--journal DIR/old.jsonl: the file exists"}},
		{name: "journal in a missing directory", args: []string{"--generate", gen, "--journal", "DIR/no/such/j.jsonl"},
			want: []string{"--journal", "DIR/no/such", "no such file or directory"}},
		{name: "password as a flag", args: []string{"--generate", gen, "--password", "hunter2-flag"},
			want: []string{"--password", "INFOBLOX_PASSWORD", "--password-file"}, never: []string{"hunter2-flag"}},
		{name: "password as a flag with =", args: []string{"--generate", gen, "-password=hunter2-flag"},
			want: []string{"--password", "INFOBLOX_PASSWORD", "--password-file"}, never: []string{"hunter2-flag"}},
		{name: "password flag after the files", files: map[string]string{"n.csv": netCSV}, args: []string{"DIR/n.csv", "--password", "hunter2-flag"},
			want: []string{"INFOBLOX_PASSWORD"}, never: []string{"hunter2-flag"}},
		{name: "insecure and ca-cert", args: []string{"--generate", gen, "--insecure"},
			want: []string{"--insecure and --ca-cert exclude each other"}},
		{name: "missing ca-cert", args: []string{"--generate", gen, "--ca-cert", "DIR/none.pem"},
			want: []string{"--ca-cert", "DIR/none.pem", "no such file or directory"}},
		{name: "ca-cert not PEM", files: map[string]string{"junk.pem": "not a certificate\n"}, args: []string{"--generate", gen, "--ca-cert", "DIR/junk.pem"},
			want: []string{"no PEM certificate in DIR/junk.pem"}},
		{name: "negative timeout", args: []string{"--generate", gen, "--timeout", "-1s"},
			want: []string{"--timeout: negative"}},
		{name: "bad WAPI version", args: []string{"--generate", gen, "--wapi-version", "9"},
			want: []string{`"9" is not a WAPI version`}},
		{name: "unknown flag", args: []string{"--generate", gen, "--colour"},
			want: []string{"flag provided but not defined: -colour"}},
		{name: "no input", want: []string{"no input: give files ('-' for stdin) or --generate SPEC"}},
		{name: "missing file", args: []string{"DIR/gone.csv"}, want: []string{"open DIR/gone.csv: no such file or directory"}},
		{name: "directory as input", args: []string{"DIR"}, want: []string{"DIR:1: read error", "is a directory"}},
		{name: "no grid", env: map[string]string{"INFOBLOX_USERNAME": "admin", "INFOBLOX_PASSWORD": "infoblox"},
			args: []string{"--generate", gen}, want: []string{"no grid: give --grid URL or set INFOBLOX_SERVER"}},
		{name: "no user", env: map[string]string{"INFOBLOX_SERVER": "GRID", "INFOBLOX_PASSWORD": "infoblox"},
			args: []string{"--generate", gen}, want: []string{"no user: give --user or set INFOBLOX_USERNAME"}},
		{name: "no password", env: map[string]string{"INFOBLOX_SERVER": "GRID", "INFOBLOX_USERNAME": "admin"},
			args: []string{"--generate", gen}, want: []string{"no password: set INFOBLOX_PASSWORD, give --password-file"}},
		{name: "good file then bad file", files: map[string]string{"good.csv": netCSV, "bad.csv": "_type,network\nnetwork,10.0.5.0/33\n"},
			args: []string{"DIR/good.csv", "DIR/bad.csv"},
			want: []string{`DIR/bad.csv:2: network: "10.0.5.0/33" is not a CIDR network`, "1 invalid of 3 objects: nothing was sent"}},
		{name: "good file then bad spec", files: map[string]string{"good.csv": netCSV},
			args: []string{"DIR/good.csv", "--generate", "network 10.0.0.0/8 /4 10"},
			want: []string{"generate:1: prefix: /4 is shorter than the parent 10.0.0.0/8"}},
		{name: "duplicate across files", files: map[string]string{"a.csv": netCSV, "b.jsonl": `{"_type":"network","network":"10.0.1.0/24"}` + "\n"},
			args: []string{"DIR/a.csv", "DIR/b.jsonl"},
			want: []string{"DIR/b.jsonl:1: duplicate network network=10.0.1.0/24&network_view=default: already given at DIR/a.csv:3"}},
		{name: "duplicate of a generated object", files: map[string]string{"a.csv": netCSV},
			args: []string{"DIR/a.csv", "--generate", gen},
			want: []string{"generate:1: duplicate network network=10.0.0.0/24&network_view=default: already given at DIR/a.csv:2"}},
		{name: "bad rows on stdin", stdin: "network,comment\n10.0.0.0/24,ok\n10.0.1.1/24,bad\n", args: []string{"--type", "network", "--format", "csv", "-"},
			want: []string{`stdin:3: network: "10.0.1.1/24" has host bits set: the network is 10.0.1.0/24`}},
		{name: "CSV read as JSON", files: map[string]string{"n.csv": netCSV}, args: []string{"--format", "json", "DIR/n.csv"},
			want: []string{"DIR/n.csv:1: "}},
		{name: "more than 20 bad rows", files: map[string]string{"many.csv": many.String()}, args: []string{"--type", "network", "DIR/many.csv"},
			want: []string{`DIR/many.csv:3: network: "10.0.0.1/24" has host bits set`, `DIR/many.csv:22: network: "10.19.0.1/24" has host bits set`,
				"... and 5 more invalid rows", "25 invalid of 26 objects: nothing was sent (fix them, or --skip-invalid to load the 1 valid ones)"},
			never: []string{"DIR/many.csv:23:"}},
	}
	if n := len(cases) + len(badinput.Cases()); n < 30 {
		t.Fatalf("%d bad inputs, want at least 30", n)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g := simtest.Start(t)
			dir := writeFiles(t, tc.files)
			subst := strings.NewReplacer("DIR", dir, "GRID", g.URL)
			args := []string{"load", "--ca-cert", g.CAFile}
			if !slices.ContainsFunc(tc.args, func(a string) bool { return a == "--journal" || a == "--resume" }) {
				args = append(args, "--journal", filepath.Join(dir, "journal.jsonl"))
			}
			for _, a := range tc.args {
				args = append(args, subst.Replace(a))
			}
			environ := gridEnv(g.URL, simtest.Password)
			if tc.env != nil {
				environ = map[string]string{}
				for k, v := range tc.env {
					environ[k] = subst.Replace(v)
				}
			}
			r := inProcEnv(t, environ, tc.stdin, args...)
			if r.code != exitUsage {
				t.Errorf("exit %d, want 2", r.code)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.stderr, subst.Replace(w)) {
					t.Errorf("stderr lacks %q", subst.Replace(w))
				}
			}
			for _, n := range tc.never {
				if strings.Contains(r.stdout+r.stderr, subst.Replace(n)) {
					t.Errorf("output holds %q", subst.Replace(n))
				}
			}
			if t.Failed() {
				t.Logf("stderr:\n%s", firstLines(r.stderr, 5))
			}
			checkNothingSent(t, g)
			if ents, _ := os.ReadDir(dir); len(ents) != len(tc.files) {
				t.Errorf("files left behind: %v", ents)
			}
		})
	}
}

// TestBadInputControl shows that the bad-input tests can fail: the same harness with good
// input and flags connects, sends and exits 0, and the grid's counters see it.
func TestBadInputControl(t *testing.T) {
	t.Parallel()
	g := simtest.Start(t)
	dir := t.TempDir()
	r := inProc(t, g, "", "load", "--ca-cert", g.CAFile, "--journal", filepath.Join(dir, "j.jsonl"), "--generate", "network 10.0.0.0/8 /24 4")
	if r.code != exitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if st := g.Server.Stats(); st.Connections == 0 || st.Logins != 1 || st.Objects["network"] != 4 {
		t.Fatalf("stats %+v", st)
	}
}

// writeFiles writes files (name → content) to a new directory and returns it.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// firstLines returns the first n lines of s (the usage text that follows a flag error is
// long).
func firstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	return strings.Join(lines[:min(n, len(lines))], "\n")
}

// TestBadInputOtherCommands: delete and export answer bad flags and bad journals with exit
// status 2, the reason, and nothing sent.
func TestBadInputOtherCommands(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		files map[string]string
		args  []string // DIR is replaced by the test's directory
		want  []string
	}{
		{name: "delete: journal and search", files: map[string]string{"j.jsonl": ""},
			args: []string{"delete", "--journal", "DIR/j.jsonl", "--type", "network"},
			want: []string{"--journal undoes a load; --type and --filter select by search: give one or the other"}},
		{name: "delete: nothing selected", args: []string{"delete"}, want: []string{"nothing to delete"}},
		{name: "delete: a type without a filter", args: []string{"delete", "--type", "network"},
			want: []string{"--type network without --filter would delete every network: add --all"}},
		{name: "delete: unknown type", args: []string{"delete", "--type", "netwrk", "--filter", "comment=x"},
			want: []string{`--type: unknown object type "netwrk"`}},
		{name: "delete: filter without =", args: []string{"delete", "--type", "network", "--filter", "comment"},
			want: []string{`--filter "comment": want FIELD=VALUE`}},
		{name: "delete: missing journal", args: []string{"delete", "--journal", "DIR/gone.jsonl", "--yes"},
			want: []string{"DIR/gone.jsonl", "no such file or directory"}},
		{name: "delete: not a journal", files: map[string]string{"n.csv": "_type,network\nnetwork,10.0.0.0/24\n"},
			args: []string{"delete", "--journal", "DIR/n.csv", "--yes"}, want: []string{"DIR/n.csv"}},
		{name: "delete: out-journal exists", files: map[string]string{"old.jsonl": "{}\n"},
			args: []string{"delete", "--type", "network", "--all", "--yes", "--out-journal", "DIR/old.jsonl"},
			want: []string{"--out-journal DIR/old.jsonl: the file exists"}},
		{name: "delete: bad strategy", args: []string{"delete", "--type", "network", "--all", "--strategy", "fastest"},
			want: []string{`--strategy: unknown strategy "fastest"`}},
		{name: "delete: unexpected argument", args: []string{"delete", "--type", "network", "--all", "extra"},
			want: []string{`unexpected argument "extra"`}},
		{name: "export: no type", args: []string{"export"}, want: []string{"--type is required"}},
		{name: "export: unknown format", args: []string{"export", "--type", "network", "--format", "xml"},
			want: []string{`--format "xml": want csv, json or jsonl`}},
		{name: "export: page size 0", args: []string{"export", "--type", "network", "--page-size", "0"},
			want: []string{"--page-size 0 out of range [1, 10000]"}},
		{name: "export: bad filter", args: []string{"export", "--type", "network", "--filter", "=x"},
			want: []string{`--filter "=x": want FIELD=VALUE`}},
		{name: "export: unexpected argument", args: []string{"export", "--type", "network", "out.csv"},
			want: []string{`unexpected argument "out.csv"`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g := simtest.Start(t)
			dir := writeFiles(t, tc.files)
			args := []string{tc.args[0], "--ca-cert", g.CAFile}
			for _, a := range tc.args[1:] {
				args = append(args, strings.ReplaceAll(a, "DIR", dir))
			}
			r := inProc(t, g, "", args...)
			if r.code != exitUsage {
				t.Errorf("exit %d, want 2", r.code)
			}
			for _, w := range tc.want {
				if w = strings.ReplaceAll(w, "DIR", dir); !strings.Contains(r.stderr, w) {
					t.Errorf("stderr lacks %q", w)
				}
			}
			if t.Failed() {
				t.Logf("stderr:\n%s", firstLines(r.stderr, 5))
			}
			checkNothingSent(t, g)
			if ents, _ := os.ReadDir(dir); len(ents) != len(tc.files) {
				t.Errorf("files left behind: %v", ents)
			}
		})
	}
}
