// Package lzma is the LZMA codec of the WS63 update packages.
//
// The encoder is the LZMA SDK 22.00 encoder (LzmaEnc.c, LzFind.c by Igor
// Pavlov, public domain) written again in Go for the one configuration the
// SDK packer uses: `lzma_tool -d12 -lc0 -lp0 e`, that is a 4 KiB
// dictionary, lc=0, lp=0, pb=2, the normal (optimum-parsing) mode with 128
// fast bytes, the BT4 binary-tree match finder visiting at most 80 nodes
// per search, one thread, the data size in the header and no end marker.
// For the same input it produces lzma_tool's bytes exactly: the tests
// compare it with the SDK-made .lzma files and packages, and with the C
// encoder built from the SDK sources.
//
// Byte identity rests on reproducing every decision of the C encoder:
//
//   - the match finder's hash functions, its binary trees in a cyclic
//     buffer of dictionary+1 nodes, the cut value, positions starting at 1
//     (0 marks an empty slot) and the end-of-input rule (fewer than 4 bytes
//     left: no insertion);
//   - the integer bit-price table, the moments price tables are rebuilt
//     (distances and align after 64 matches, lengths after 64 matches,
//     rep lengths after 64 rep lengths), and their lag behind the
//     probabilities;
//   - the optimum parser's candidates, their order, and its tie-breaks
//     (a candidate replaces a table entry only when strictly cheaper);
//   - the range coder's carry handling.
//
// For inputs of 256 KiB and more the match finder runs ahead of the parser
// in its own goroutine, as the SDK's LzFindMt does (encoder_mt.go); it
// finds the same matches, so the output is the same bytes.
//
// The SDK's match finder normalises stored positions when its 32-bit
// position counter wraps; Encode refuses inputs of 4 GiB − 1 bytes or
// more (ErrEncodeTooLarge), for which that would happen.
package lzma
