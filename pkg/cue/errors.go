package cue

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	cueerrors "cuelang.org/go/cue/errors"
)

// ErrIncomplete marks a value that is not concrete where a concrete one was needed.
var ErrIncomplete = errors.New("incomplete value")

// FieldError is one evaluation problem at a field path such as
// "parameter.ports[0].port".
type FieldError struct {
	// Path is the CUE field path, with list indices in brackets; empty when unknown.
	Path string
	// Msg says what went wrong and, where CUE knows, what was expected.
	Msg string
	// Pos is the source position ("template.cue:12:3"), when known.
	Pos string
}

// Error is a list of field errors from one evaluation.
type Error struct{ Errs []FieldError }

// Error joins the field errors as "path: msg; path: msg".
func (e *Error) Error() string {
	parts := make([]string, 0, len(e.Errs))
	for _, fe := range e.Errs {
		switch {
		case fe.Path != "":
			parts = append(parts, fe.Path+": "+fe.Msg)
		case fe.Pos != "":
			parts = append(parts, fe.Msg+" ("+fe.Pos+")")
		default:
			parts = append(parts, fe.Msg)
		}
	}
	return strings.Join(parts, "; ")
}

// fieldErr builds a one-entry *Error.
func fieldErr(path, format string, args ...any) *Error {
	return &Error{Errs: []FieldError{{Path: path, Msg: fmt.Sprintf(format, args...)}}}
}

// flatten converts a CUE error (list) into *Error with readable paths,
// de-duplicating identical entries. Other errors pass through unchanged.
func flatten(err error) error {
	if err == nil {
		return nil
	}
	list := cueerrors.Errors(err)
	if len(list) == 0 {
		return err
	}
	out := &Error{}
	seen := map[string]bool{}
	for _, e := range list {
		format, args := e.Msg()
		fe := FieldError{Path: formatPath(e.Path()), Msg: fmt.Sprintf(format, args...)}
		if strings.Contains(fe.Msg, "errors in empty disjunction") {
			continue // a header; the alternatives follow
		}
		if p := e.Position(); p.IsValid() {
			fe.Pos = p.String()
		}
		key := fe.Path + "\x00" + fe.Msg
		if seen[key] {
			continue
		}
		seen[key] = true
		out.Errs = append(out.Errs, fe)
	}
	out.Errs = lastPerPath(out.Errs)
	return out
}

// lastPerPath keeps one error per non-empty path: for a value with a default
// (`*1 | int`) CUE reports the clash with the default first and the real
// constraint last.
func lastPerPath(errs []FieldError) []FieldError {
	last := map[string]int{}
	for i, fe := range errs {
		if fe.Path != "" {
			last[fe.Path] = i
		}
	}
	out := errs[:0]
	for i, fe := range errs {
		if fe.Path == "" || last[fe.Path] == i {
			out = append(out, fe)
		}
	}
	return out
}

// formatPath renders CUE path selectors as a.b[0]."c-d".
func formatPath(sel []string) string {
	var b strings.Builder
	for _, s := range sel {
		if _, err := strconv.Atoi(s); err == nil {
			b.WriteString("[" + s + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(s)
	}
	return b.String()
}

// joinPath appends a field name to a path, quoting names that are not identifiers.
func joinPath(base, field string) string {
	if !isIdent(field) {
		field = strconv.Quote(field)
	}
	if base == "" {
		return field
	}
	return base + "." + field
}

func indexPath(base string, i int) string { return base + "[" + strconv.Itoa(i) + "]" }

func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		if r == '_' || r == '$' || r == '#' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (i > 0 && r >= '0' && r <= '9') {
			continue
		}
		return false
	}
	return true
}
