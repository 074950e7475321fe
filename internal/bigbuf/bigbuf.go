// Package bigbuf makes the multi-megabyte buffers a run fills once (an
// image or package read from a file, the app image flashboot checks) so
// that filling them costs few page faults.
//
// A fresh heap buffer is faulted in 4 KiB at a time as it is first
// written; on the 2-core build machine (a virtual machine) each fault
// costs about 10 µs, and a W1 run as a process spent about a fifth of its
// time on them. On Linux, Make places a large buffer on a 2 MiB boundary
// inside a larger allocation and asks for transparent huge pages over it
// (madvise MADV_HUGEPAGE; the pages outside it are never touched and cost
// no memory), so the kernel maps it 2 MiB at a time. It is advice only:
// where huge pages are off or unavailable, the buffer is an ordinary one.
package bigbuf

// Threshold is the smallest size Make treats specially: below it, a
// buffer is make([]byte, n).
const Threshold = 1 << 20
