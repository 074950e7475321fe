package bigbuf

import (
	"syscall"
	"unsafe"
)

// hugePage is the transparent huge page size on x86-64 and arm64.
const hugePage = 2 << 20

// Make returns a zeroed buffer of n bytes (length and capacity n).
func Make(n int) []byte {
	if n < Threshold {
		return make([]byte, n)
	}
	span := (n + hugePage - 1) &^ (hugePage - 1)
	b := make([]byte, span+hugePage)
	start := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	off := int(((start + hugePage - 1) &^ (hugePage - 1)) - start)
	_ = syscall.Madvise(b[off:off+span], syscall.MADV_HUGEPAGE) // advice: an error changes nothing
	return b[off : off+n : off+n]
}
