package gridsim_test

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/turbowapi/turbowapi/gridsim"
)

// TestDataDirReload: objects, renamed views and the ids of views survive a restart, with the
// same refs; a failed batch leaves nothing on disk.
func TestDataDirReload(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	c := start(t, gridsim.WithDataDir(dir))
	nv := c.create("networkview", `{"name":"lab"}`)
	n := c.create("network", `{"network":"10.0.0.0/24","network_view":"lab","comment":"kept"}`)
	c.create("zone_auth", `{"fqdn":"example.com"}`)
	a := c.create("record:a", `{"name":"www.example.com","ipv4addr":"10.0.0.5","extattrs":{"Site":{"value":"East"}}}`)
	gone := c.create("network", `{"network":"10.0.1.0/24"}`)
	c.must(200, "DELETE", gone, "")
	nv2 := c.must(200, "PUT", nv, `{"name":"lab2"}`).(string)
	c.fails(400, conflict, "The network 10.0.0.0/24 already exists.  Select another network.", "POST", "request",
		`[{"method":"POST","object":"network","data":{"network":"10.9.0.0/24"}},
		  {"method":"POST","object":"network","data":{"network":"10.0.0.0/24","network_view":"lab2"}}]`)
	if err := c.g.Server.Close(); err != nil {
		t.Fatal(err)
	}

	c2 := start(t, gridsim.WithDataDir(dir))
	if o := c2.must(200, "GET", n+"?_return_fields%2B=network_view", "").(map[string]any); o["comment"] != "kept" || o["network_view"] != "lab2" {
		t.Fatalf("network after restart: %v", o)
	}
	if o := c2.must(200, "GET", a+"?_return_fields%2B=extattrs", "").(map[string]any); o["extattrs"] == nil {
		t.Fatalf("record after restart: %v", o)
	}
	c2.fails(404, notFound, "Reference "+gone+" not found", "GET", gone, "")
	if l := c2.must(200, "GET", "network?network=10.9.0.0/24", "").([]any); len(l) != 0 {
		t.Fatalf("a failed batch was persisted: %v", l)
	}
	if got := c2.must(200, "GET", "networkview?name=lab2", "").([]any)[0].(map[string]any)["_ref"]; got != nv2 {
		t.Fatalf("view ref %v, want %s", got, nv2)
	}
	nv3 := c2.create("networkview", `{"name":"lab3"}`)
	if nv3 == nv2 || strings.Split(nv3, ":")[0] == strings.Split(nv2, ":")[0] {
		t.Fatalf("a new view reused an id: %s %s", nv3, nv2)
	}
}

// TestConcurrentViewCommits: network views created by concurrent clients are committed with
// the view ids in force when each was queued (the commit reads no state the writers are
// changing: under -race this caught the commit reading the store's counters unlocked), and
// after a restart a new view gets an id none of them has.
func TestConcurrentViewCommits(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	c := start(t, gridsim.WithDataDir(dir))
	refs := make(chan string, 40)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 10 {
				r, err := c.try("POST", "networkview", fmt.Sprintf(`{"name":"v%d-%d"}`, g, i))
				if err != nil || r.status != 201 {
					t.Errorf("create view %d-%d: %v %d %s", g, i, err, r.status, r.body)
					return
				}
				refs <- strings.Trim(r.body, `"`)
			}
		}()
	}
	wg.Wait()
	close(refs)
	if err := c.g.Server.Close(); err != nil {
		t.Fatal(err)
	}
	c2 := start(t, gridsim.WithDataDir(dir))
	ids := map[string]bool{}
	for ref := range refs {
		c2.must(200, "GET", ref, "")
		ids[strings.Split(ref, ":")[0]] = true
	}
	if len(ids) != 40 {
		t.Fatalf("%d distinct views, want 40", len(ids))
	}
	if nv := c2.create("networkview", `{"name":"after"}`); ids[strings.Split(nv, ":")[0]] {
		t.Fatalf("a view made after the restart reused an id: %s", nv)
	}
}

// TestCrashDurability: a child process creates objects and is killed with SIGKILL right
// after its 201s; every acknowledged object is there after a restart.
func TestCrashDurability(t *testing.T) {
	if os.Getenv("GRIDSIM_CRASH_CHILD") != "" {
		crashChild(t)
		return
	}
	t.Parallel()
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashDurability$", "-test.v")
	cmd.Env = append(os.Environ(), "GRIDSIM_CRASH_CHILD="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var refs []string
	sc := bufio.NewScanner(out)
	deadline := time.AfterFunc(60*time.Second, func() { _ = cmd.Process.Kill() })
	defer deadline.Stop()
	for sc.Scan() {
		line := sc.Text()
		if ref, ok := strings.CutPrefix(line, "ACK "); ok {
			refs = append(refs, ref)
			if len(refs) == 50 {
				_ = cmd.Process.Kill() // SIGKILL: no Close, no flush
				break
			}
		}
	}
	_ = cmd.Wait()
	if len(refs) != 50 {
		t.Fatalf("child acknowledged %d objects", len(refs))
	}
	c := start(t, gridsim.WithDataDir(dir))
	for _, ref := range refs {
		c.must(200, "GET", ref, "")
	}
}

func crashChild(t *testing.T) {
	c := start(t, gridsim.WithDataDir(os.Getenv("GRIDSIM_CRASH_CHILD")))
	for i := 0; ; i++ {
		ref := c.create("network", fmt.Sprintf(`{"network":"10.%d.%d.0/24"}`, i/256%256, i%256))
		fmt.Printf("ACK %s\n", ref)
		_ = os.Stdout.Sync()
		if i > 100000 {
			return
		}
	}
}

func TestDataDirErrors(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := gridsim.New(gridsim.WithDataDir(file)); err == nil {
		t.Fatal("a file as data directory was accepted")
	}
	if _, err := gridsim.New(gridsim.WithDataDir("")); err == nil {
		t.Fatal("an empty data directory was accepted")
	}
}

func TestOptionsValidate(t *testing.T) {
	t.Parallel()
	for name, opt := range map[string]gridsim.Option{
		"empty user":      gridsim.WithUser("", "x"),
		"empty password":  gridsim.WithUser("a", ""),
		"comma in user":   gridsim.WithUser("a,b", "x"),
		"short timeout":   gridsim.WithSessionTimeout(time.Millisecond),
		"negative batch":  gridsim.WithMaxBatch(-1),
		"tiny body limit": gridsim.WithMaxBody(10),
		"nil clock":       gridsim.WithClock(nil),
		"bad users":       gridsim.WithUsers(map[string]string{"x": ""}),
	} {
		if _, err := gridsim.New(opt); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
