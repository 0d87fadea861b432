package api

// Page asks for one page of a list ordered by name: at most Limit items
// (zero: all) whose names sort after After. The next page starts after
// the last name of this one; a page shorter than Limit is the last.
type Page struct {
	Limit int    `json:"limit,omitempty"`
	After string `json:"after,omitempty"`
}
