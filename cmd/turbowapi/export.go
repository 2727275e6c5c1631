package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/turbowapi/turbowapi/bulk"
	"github.com/turbowapi/turbowapi/input"
	"github.com/turbowapi/turbowapi/internal/progress"
	"github.com/turbowapi/turbowapi/wapi"
)

// writeOnlyFields are fields a create accepts that the grid never returns: an export does
// not ask for them.
var writeOnlyFields = map[string]bool{"template": true, "auto_create_reversezone": true, "restart_if_needed": true, "remove_subnets": true}

// searchFlags select objects by type and filters (export and delete).
type searchFlags struct {
	typ     string
	filters stringList
}

func (s *searchFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&s.typ, "type", "", "object type, e.g. network, zone_auth, record:a")
	fs.Var(&s.filters, "filter", "FIELD=VALUE (or EA-Name=VALUE for an extensible attribute); repeatable, all must match")
}

// query checks the type and builds the search.
func (s *searchFlags) query() (input.Type, *wapi.Query, error) {
	if s.typ == "" {
		return input.Type{}, nil, usagef("--type is required")
	}
	t, ok := input.LookupType(s.typ)
	if !ok {
		return input.Type{}, nil, usagef("--type: unknown object type %q (supported: %s)", s.typ, strings.Join(input.TypeNames(), ", "))
	}
	q := wapi.NewQuery()
	for _, f := range s.filters {
		name, val, ok := strings.Cut(f, "=")
		if !ok || name == "" {
			return t, nil, usagef("--filter %q: want FIELD=VALUE", f)
		}
		if ea, isEA := strings.CutPrefix(name, "EA-"); isEA {
			q.EA(ea, wapi.Eq, val)
		} else {
			q.Eq(name, val)
		}
	}
	if err := q.Err(); err != nil {
		return t, nil, usagef("--filter: %v", err)
	}
	return t, q, nil
}

// returnFields are the type's fields the grid can return.
func returnFields(t input.Type) []string {
	var out []string
	for _, f := range t.Fields {
		if !writeOnlyFields[f.Name] {
			out = append(out, f.Name)
		}
	}
	return out
}

// runExport writes the objects of a type as CSV, JSON or JSON lines, reading the grid with
// paging.
func runExport(ctx context.Context, e *env, args []string) int {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	var cf connFlags
	cf.register(fs)
	var sf searchFlags
	sf.register(fs)
	format := fs.String("format", "csv", "csv | json | jsonl")
	output := fs.String("output", "", "write to this file (default: stdout)")
	pageSize := fs.Int("page-size", wapi.DefaultPageSize, "objects per page")
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "usage: turbowapi export --type T [--filter FIELD=VALUE...] [flags]\n\n"+
			"Export objects of a type. The CSV (and JSON) loads back unchanged with turbowapi load.\n\nflags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	fail := func(err error) int { return reportErr(e, "export", err) }
	if fs.NArg() > 0 {
		return fail(usagef("unexpected argument %q", fs.Arg(0)))
	}
	t, q, err := sf.query()
	if err != nil {
		return fail(err)
	}
	f, err := input.ParseFormat(*format)
	if err != nil || f == input.FormatAuto {
		return fail(usagef("--format %q: want csv, json or jsonl", *format))
	}
	if *pageSize < 1 || *pageSize > 10000 {
		return fail(usagef("--page-size %d out of range [1, 10000]", *pageSize))
	}
	q.ReturnFieldsPlus(returnFields(t)...)

	out := e.stdout
	var tmp *os.File
	if *output != "" {
		tmp, err = os.CreateTemp(filepath.Dir(*output), "."+filepath.Base(*output)+".*")
		if err != nil {
			return fail(err)
		}
		defer os.Remove(tmp.Name())
		defer tmp.Close()
		out = tmp
	}
	client, grid, err := cf.client(e, 1)
	if err != nil {
		return fail(err)
	}
	defer client.Close(context.Background())
	// The engine's retries: a login or a page read that fails transiently is repeated.
	eng, err := bulk.New(client, bulk.WithStrategy(bulk.Sequential))
	if err != nil {
		return fail(err)
	}
	if err := eng.Retry(ctx, client.Login); err != nil {
		return fail(explainConnError(err, grid))
	}
	start := time.Now()
	n, err := export(ctx, eng, t.Name, q, *pageSize, f, out)
	if err != nil {
		return reportErr(e, "export", err)
	}
	if tmp != nil {
		if err := tmp.Sync(); err != nil {
			return fail(err)
		}
		if err := tmp.Close(); err != nil {
			return fail(err)
		}
		if err := os.Rename(tmp.Name(), *output); err != nil {
			return fail(err)
		}
	}
	fmt.Fprintf(e.stderr, "export: %s %s objects in %s\n", progress.Int(n), t.Name, time.Since(start).Round(time.Millisecond))
	return exitOK
}

// export pages through the search and writes every object. CSV needs its header first, so
// the objects are kept in a temporary file until the columns are known.
func export(ctx context.Context, c *bulk.Engine, typ string, q *wapi.Query, pageSize int, f input.Format, out io.Writer) (int64, error) {
	if f != input.FormatCSV {
		w, err := input.NewWriter(out, f, nil)
		if err != nil {
			return 0, err
		}
		n, err := searchLoadable(ctx, c, typ, q, pageSize, w.Write)
		if err != nil {
			return n, err
		}
		return n, w.Close()
	}
	tmp, err := os.CreateTemp("", "turbowapi-export-*.jsonl")
	if err != nil {
		return 0, err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	bw := bufio.NewWriterSize(tmp, 64<<10)
	enc := json.NewEncoder(bw)
	cols := input.NewColumnSet()
	n, err := searchLoadable(ctx, c, typ, q, pageSize, func(o input.Object) error {
		if err := cols.Add(o); err != nil {
			return err
		}
		return enc.Encode(o.Fields)
	})
	if err != nil {
		return n, err
	}
	if err := bw.Flush(); err != nil {
		return n, err
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return n, err
	}
	w, err := input.NewCSVWriter(out, cols.Columns())
	if err != nil {
		return n, err
	}
	dec := json.NewDecoder(bufio.NewReaderSize(tmp, 64<<10))
	for {
		var fields map[string]any
		if err := dec.Decode(&fields); err == io.EOF {
			break
		} else if err != nil {
			return n, err
		}
		// Again: the JSON round trip turned the integers into float64.
		o, err := loadable(typ, fields)
		if err != nil {
			return n, err
		}
		if err := w.Write(o); err != nil {
			return n, err
		}
	}
	return n, w.Close()
}

// searchLoadable pages through the search and hands every object, as a load reads it, to
// put; it returns how many it handed.
func searchLoadable(ctx context.Context, c *bulk.Engine, typ string, q *wapi.Query, pageSize int, put func(input.Object) error) (int64, error) {
	var n int64
	for obj, err := range c.SearchAll(ctx, typ, q, pageSize) {
		if err != nil {
			return n, err
		}
		o, err := loadable(typ, obj)
		if err != nil {
			return n, err
		}
		if err := put(o); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

func loadable(typ string, fields map[string]any) (input.Object, error) {
	f, err := input.Loadable(typ, fields)
	if err != nil {
		return input.Object{}, err
	}
	return input.Object{Type: typ, Fields: f}, nil
}
