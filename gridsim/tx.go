package gridsim

// tx is one write transaction on the store: every change is applied to the indexes at once
// (so later items of a batch see earlier ones) and recorded, so that the transaction can be
// rolled back as a whole, or persisted as a whole.
type tx struct {
	s    *store
	undo []change
	// allocated addresses and networks handed out by this transaction but not yet indexed
	// (several func: values in one object).
	taken map[string]bool
}

// change is one step: add was indexed, del was removed (either may be nil).
type change struct {
	add, del *object
}

func (s *store) begin() *tx { return &tx{s: s} }

func (t *tx) insert(o *object) {
	t.s.index(o)
	t.undo = append(t.undo, change{add: o})
}

func (t *tx) remove(o *object) {
	t.s.unindex(o)
	t.undo = append(t.undo, change{del: o})
}

func (t *tx) replace(old, o *object) {
	t.s.unindex(old)
	t.s.index(o)
	t.undo = append(t.undo, change{add: o, del: old})
}

// rollback undoes every change, newest first.
func (t *tx) rollback() {
	for i := len(t.undo) - 1; i >= 0; i-- {
		c := t.undo[i]
		if c.add != nil {
			t.s.unindex(c.add)
		}
		if c.del != nil {
			t.s.index(c.del)
		}
	}
	t.undo = nil
}

// writes is the number of objects the transaction changed.
func (t *tx) writes() int { return len(t.undo) }

// net returns the final state of each key touched: the object, or nil when deleted.
func (t *tx) net() ([]string, []*object) {
	last := make(map[string]*object, len(t.undo))
	var order []string
	note := func(k string, o *object) {
		if _, ok := last[k]; !ok {
			order = append(order, k)
		}
		last[k] = o
	}
	for _, c := range t.undo {
		if c.del != nil {
			note(c.del.key, nil)
		}
		if c.add != nil {
			note(c.add.key, c.add)
		}
	}
	objs := make([]*object, len(order))
	for i, k := range order {
		objs[i] = last[k]
	}
	return order, objs
}
