package wapi_test

import (
	"errors"
	"net/url"
	"testing"

	"github.com/turbowapi/turbowapi/wapi"
)

func TestQueryEncode(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		q    *wapi.Query
		want string
		keys map[string]string // decoded key → value, as a server parses them
	}{
		{"nil", nil, "", nil},
		{"eq", wapi.NewQuery().Eq("network", "10.0.0.0/24"), "network=10.0.0.0/24", map[string]string{"network": "10.0.0.0/24"}},
		{"modifiers", wapi.NewQuery().Where("name", wapi.EqFold, "A").Where("comment", wapi.Regex, "^lab.*").
			Where("zone", wapi.RegexFold, "x").Where("view", wapi.NotEq, "v").
			Where("ipv4addr", wapi.GreaterEq, "10.0.0.1").Where("ipv4addr", wapi.LessEq, "10.0.0.9"),
			"name:=A&comment~=%5Elab.*&zone:~=x&view!=v&ipv4addr%3E=10.0.0.1&ipv4addr%3C=10.0.0.9",
			map[string]string{"name:": "A", "comment~": "^lab.*", "zone:~": "x", "view!": "v", "ipv4addr>": "10.0.0.1", "ipv4addr<": "10.0.0.9"}},
		{"combined modifiers", wapi.NewQuery().Where("name", "!:=", "a"), "name!:=a", map[string]string{"name!:": "a"}},
		{"extensible attributes", wapi.NewQuery().EA("Site", wapi.Eq, "New York").EA("Role", wapi.EqFold, "dmz"),
			"*Site=New%20York&*Role:=dmz", map[string]string{"*Site": "New York", "*Role:": "dmz"}},
		{"return fields", wapi.NewQuery().ReturnFields("name", "comment").ReturnFieldsPlus("extattrs").MaxResults(-5000),
			"_return_fields=name,comment&_return_fields%2B=extattrs&_max_results=-5000",
			map[string]string{"_return_fields": "name,comment", "_return_fields+": "extattrs", "_max_results": "-5000"}},
		{"basic fields only", wapi.NewQuery().ReturnFieldsPlus(), "_return_fields%2B=", map[string]string{"_return_fields+": ""}},
		{"escaping", wapi.NewQuery().Eq("comment", "a&b=c+d;e#f%g"), "comment=a%26b%3Dc%2Bd%3Be%23f%25g",
			map[string]string{"comment": "a&b=c+d;e#f%g"}},
		{"args", wapi.NewQuery().Arg("_proxy_search", "GM").Arg("_inheritance", "True"), "_proxy_search=GM&_inheritance=True", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.q.Err(); err != nil {
				t.Fatal(err)
			}
			got := tc.q.Encode()
			if got != tc.want {
				t.Fatalf("got  %s\nwant %s", got, tc.want)
			}
			if tc.keys == nil {
				return
			}
			vals, err := url.ParseQuery(got)
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range tc.keys {
				if vals.Get(k) != v || !vals.Has(k) {
					t.Errorf("server sees %q = %q, want %q", k, vals.Get(k), v)
				}
			}
		})
	}
}

func TestQueryInvalid(t *testing.T) {
	t.Parallel()
	cases := map[string]*wapi.Query{
		"empty field":     wapi.NewQuery().Eq("", "x"),
		"field with =":    wapi.NewQuery().Eq("a=b", "x"),
		"field with &":    wapi.NewQuery().Eq("a&b", "x"),
		"bad op":          wapi.NewQuery().Where("a", "==", "x"),
		"repeated mod":    wapi.NewQuery().Where("a", "::=", "x"),
		"op without =":    wapi.NewQuery().Where("a", "~", "x"),
		"bad EA":          wapi.NewQuery().EA("a=b", wapi.Eq, "x"),
		"zero max":        wapi.NewQuery().MaxResults(0),
		"bad arg":         wapi.NewQuery().Arg("proxy", "GM"),
		"reserved arg":    wapi.NewQuery().Arg("_paging", "1"),
		"bad return":      wapi.NewQuery().ReturnFields("a,b"),
		"error is sticky": wapi.NewQuery().Eq("", "x").Eq("ok", "y"),
	}
	for name, q := range cases {
		if err := q.Err(); !errors.Is(err, wapi.ErrInvalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
