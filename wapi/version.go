package wapi

import (
	"strconv"
	"strings"
)

// version is a parsed WAPI version: major, minor, patch.
type version [3]int

// parseVersion parses "N.N" or "N.N.N", optionally prefixed with "v".
func parseVersion(s string) (version, bool) {
	s = strings.TrimPrefix(s, "v")
	parts := strings.Split(s, ".")
	if len(parts) < 2 || len(parts) > 3 {
		return version{}, false
	}
	var v version
	for i, p := range parts {
		if p == "" || len(p) > 4 {
			return version{}, false
		}
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || p[0] == '+' || p[0] == '-' {
			return version{}, false
		}
		v[i] = n
	}
	return v, true
}

func (v version) less(w version) bool {
	for i := range v {
		if v[i] != w[i] {
			return v[i] < w[i]
		}
	}
	return false
}

// pickVersion returns the highest of the grid's supported versions within [MinVersion,
// MaxVersion], as the grid spells it.
func pickVersion(supported []string) (string, bool) {
	lo, _ := parseVersion(MinVersion)
	hi, _ := parseVersion(MaxVersion)
	best, bestS := version{}, ""
	for _, s := range supported {
		v, ok := parseVersion(s)
		if !ok || v.less(lo) || hi.less(v) {
			continue
		}
		if bestS == "" || best.less(v) {
			best, bestS = v, strings.TrimPrefix(s, "v")
		}
	}
	return bestS, bestS != ""
}
