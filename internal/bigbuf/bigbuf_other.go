//go:build !linux

package bigbuf

// Make returns a zeroed buffer of n bytes (length and capacity n).
func Make(n int) []byte { return make([]byte, n) }
