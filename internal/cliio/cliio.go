// Package cliio is how ws63emu's commands read their input files and write
// their output files, so that every command treats them alike:
//
//   - Every input is read with a limit just above its largest legal size, so
//     /dev/zero or a 2 GiB sparse file is refused with one line naming the
//     file and the limit, never read into memory.
//   - Every output is declared before the work starts, and Check refuses,
//     before anything runs, an output whose folder is missing or not
//     writable, an output that is one of the inputs, and two outputs on one
//     file (paths are compared resolved, and by device and inode).
//   - Outputs are written only after the work succeeded, all at once: each
//     regular file goes to a temporary file beside it that is renamed over
//     the target only when every output is ready. A symlink is written
//     through to its target; a file that is not a regular file (a device,
//     a FIFO) is written in place, never replaced; "-" is standard output.
//
// A command adopts it in three steps: files := cliio.New(stdout); one
// files.Input / files.Output call per flag; files.Check() before the work,
// files.Write (or Stage and Commit) after it.
package cliio

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/ws63emu/ws63emu/internal/bigbuf"
)

// Stdio is the path that means standard input or standard output.
const Stdio = "-"

// Size limits of the inputs ws63emu reads.
const (
	// KeyLimit bounds a PEM key file: a brainpoolP256r1 key in any form
	// OpenSSL writes is under 1 KiB.
	KeyLimit = 16 << 10
	// ImageLimit bounds a signed image, an NV image, a package or a flash
	// file: nothing the device holds is larger than its 4 MiB flash.
	ImageLimit = 4 << 20
)

// LimitError is returned for an input larger than its limit.
type LimitError struct {
	Path  string
	Limit int64
	What  string // what the file should be ("a PEM key"), may be empty
}

func (e *LimitError) Error() string {
	s := fmt.Sprintf("%s: offset %d: larger than the %d-byte limit", e.Path, e.Limit, e.Limit)
	if e.What != "" {
		s += " for " + e.What
	}
	return s
}

// ReadFile reads the whole of path, at most limit bytes; what names what
// the file should be, for the error. A directory, a missing file and a
// file larger than limit are one-line errors naming the file. "-" reads
// standard input (os.Stdin).
func ReadFile(path string, limit int64, what string) ([]byte, error) {
	if path == Stdio {
		return readLimited(os.Stdin, "standard input", limit, what)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, pathErr(path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, pathErr(path, err)
	}
	if st.IsDir() {
		return nil, fmt.Errorf("%s: is a directory", path)
	}
	if st.Mode().IsRegular() && st.Size() > limit {
		return nil, &LimitError{Path: path, Limit: limit, What: what}
	}
	if st.Mode().IsRegular() {
		return readSized(f, path, limit, what, st.Size())
	}
	return readLimited(f, path, limit, what)
}

func readLimited(r io.Reader, name string, limit int64, what string) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	return checkLimit(b, err, name, limit, what)
}

// readSized reads a regular file of size bytes (at most limit) into one
// buffer of that size, then whatever it grew by since (to limit + 1),
// sparing io.ReadAll's regrowth of a multi-megabyte image.
func readSized(f *os.File, name string, limit int64, what string, size int64) ([]byte, error) {
	b := bigbuf.Make(int(size))
	n, err := io.ReadFull(f, b)
	b = b[:n]
	if err == io.EOF || err == io.ErrUnexpectedEOF { // shrank since the Stat
		return b, nil
	}
	if err != nil {
		return nil, pathErr(name, err)
	}
	rest, err := io.ReadAll(io.LimitReader(f, limit+1-size))
	return checkLimit(append(b, rest...), err, name, limit, what)
}

func checkLimit(b []byte, err error, name string, limit int64, what string) ([]byte, error) {
	if err != nil {
		return nil, pathErr(name, err)
	}
	if int64(len(b)) > limit {
		return nil, &LimitError{Path: name, Limit: limit, What: what}
	}
	return b, nil
}

// Input is an input file opened for random access.
type Input struct {
	io.ReaderAt
	Size  int64
	close func() error
}

// Close releases the file.
func (in *Input) Close() error {
	if in.close == nil {
		return nil
	}
	return in.close()
}

// Open opens path for random access after checking its size against
// limit. A regular file is read in place; anything else (a device, a
// FIFO, "-") is read into memory, at most limit bytes.
func Open(path string, limit int64, what string) (*Input, error) {
	if path != Stdio {
		f, err := os.Open(path)
		if err != nil {
			return nil, pathErr(path, err)
		}
		st, err := f.Stat()
		if err != nil {
			f.Close()
			return nil, pathErr(path, err)
		}
		switch {
		case st.IsDir():
			f.Close()
			return nil, fmt.Errorf("%s: is a directory", path)
		case st.Mode().IsRegular():
			if st.Size() > limit {
				f.Close()
				return nil, &LimitError{Path: path, Limit: limit, What: what}
			}
			return &Input{ReaderAt: f, Size: st.Size(), close: f.Close}, nil
		}
		f.Close()
	}
	b, err := ReadFile(path, limit, what)
	if err != nil {
		return nil, err
	}
	return &Input{ReaderAt: bytes.NewReader(b), Size: int64(len(b))}, nil
}

// pathErr turns an *os.PathError into "PATH: reason" (Go's form is
// "open PATH: reason", and callers add the path again).
func pathErr(path string, err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", path, pe.Err)
	}
	return fmt.Errorf("%s: %w", path, err)
}

// file is one declared input or output.
type file struct {
	flag string // the option or argument that named it
	path string
}

func (f file) String() string {
	if f.flag == "" {
		return f.path
	}
	return f.flag + " " + f.path
}

// Files is the set of files one command invocation reads and writes.
type Files struct {
	stdout  io.Writer
	inputs  []file
	outputs []file
	staged  []staged
}

// New returns an empty set whose "-" output goes to stdout.
func New(stdout io.Writer) *Files { return &Files{stdout: stdout} }

// Input declares an input file; flag names the option ("--app", or "" for
// a positional argument). An empty path is ignored.
func (fs *Files) Input(flag, path string) {
	if path != "" {
		fs.inputs = append(fs.inputs, file{flag, path})
	}
}

// Output declares an output file. An empty path is ignored.
func (fs *Files) Output(flag, path string) {
	if path != "" {
		fs.outputs = append(fs.outputs, file{flag, path})
	}
}

// ToStdout reports whether an output is standard output ("-", or a path
// to the process's standard output such as /dev/stdout): a command then
// prints its summary to standard error.
func (fs *Files) ToStdout() bool {
	out, err := os.Stdout.Stat()
	for _, o := range fs.outputs {
		if o.path == Stdio {
			return true
		}
		if st, serr := os.Stat(o.path); err == nil && serr == nil && !st.Mode().IsRegular() && os.SameFile(st, out) {
			return true
		}
	}
	return false
}

// Check checks every declared output before the work starts: its folder
// exists and is writable, it is not a directory, not one of the inputs,
// and not another output. Special files (devices, FIFOs) may be named
// more than once: they are written in place.
func (fs *Files) Check() error {
	type resolved struct {
		file
		target string      // absolute, symlinks resolved as far as they exist
		st     os.FileInfo // nil when the target does not exist
	}
	res := func(f file) (resolved, error) {
		r := resolved{file: f}
		t, err := resolve(f.path)
		if err != nil {
			return r, err
		}
		r.target = t
		if st, err := os.Stat(t); err == nil {
			r.st = st
		}
		return r, nil
	}
	var ins []resolved
	for _, f := range fs.inputs {
		if f.path == Stdio {
			continue
		}
		r, err := res(f)
		if err != nil {
			continue // the command reports a missing input itself
		}
		ins = append(ins, r)
	}
	var outs []resolved
	stdio := 0
	for _, f := range fs.outputs {
		if f.path == Stdio {
			if stdio++; stdio > 1 {
				return fmt.Errorf("%s: two outputs on standard output", f)
			}
			continue
		}
		r, err := res(f)
		if err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		if r.st != nil && r.st.IsDir() {
			return fmt.Errorf("%s: is a directory", f)
		}
		for _, in := range ins {
			if same(r.target, r.st, in.target, in.st) {
				return fmt.Errorf("%s: is also the input %s; write the output to another file", f, in)
			}
		}
		for _, o := range outs {
			special := r.st != nil && !r.st.Mode().IsRegular()
			if !special && same(r.target, r.st, o.target, o.st) {
				return fmt.Errorf("%s: is also the output %s; give each output its own file", f, o)
			}
		}
		if r.st == nil || r.st.Mode().IsRegular() {
			if err := writableDir(filepath.Dir(r.target)); err != nil {
				return fmt.Errorf("%s: %w", f, err)
			}
		}
		outs = append(outs, r)
	}
	return nil
}

// same reports whether two resolved paths are one file.
func same(a string, sa os.FileInfo, b string, sb os.FileInfo) bool {
	if sa != nil && sb != nil {
		return os.SameFile(sa, sb)
	}
	return a == b
}

// resolve returns path made absolute with every symlink resolved,
// including a final symlink whose target does not exist yet.
//
// A path that leads to a special file (a device, a FIFO) is returned as
// it is, only made absolute: it is written in place through the path, and
// a link such as /dev/stdout → /proc/self/fd/1 → pipe:[N] has no target
// path to resolve to.
func resolve(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	if st, err := os.Stat(abs); err == nil {
		if !st.Mode().IsRegular() {
			return abs, nil
		}
		if r, err := filepath.EvalSymlinks(abs); err == nil {
			return r, nil
		}
	}
	for range 40 {
		st, err := os.Lstat(abs)
		if err != nil || st.Mode()&os.ModeSymlink == 0 {
			break
		}
		t, err := os.Readlink(abs)
		if err != nil {
			return "", err
		}
		if !filepath.IsAbs(t) {
			t = filepath.Join(filepath.Dir(abs), t)
		}
		abs = t
	}
	dir, base := filepath.Split(abs)
	rdir, err := filepath.EvalSymlinks(dir)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("folder %s does not exist", strings.TrimSuffix(dir, string(filepath.Separator)))
		}
		return "", err
	}
	return filepath.Join(rdir, base), nil
}

// writableDir checks that a file can be created in dir, without creating
// one (canWrite: access(2) where there is one).
func writableDir(dir string) error {
	st, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("folder %s: %w", dir, pathErrReason(err))
	}
	if !st.IsDir() {
		return fmt.Errorf("%s is not a folder", dir)
	}
	if err := canWrite(dir); err != nil {
		return fmt.Errorf("folder %s is not writable: %w", dir, pathErrReason(err))
	}
	return nil
}

func pathErrReason(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// staged is one output waiting for Commit.
type staged struct {
	path string
	data []byte
	perm os.FileMode
}

// Stage queues data for path; Commit writes every staged output.
func (fs *Files) Stage(path string, data []byte, perm os.FileMode) {
	fs.staged = append(fs.staged, staged{path, data, perm})
}

// Write writes one output now (Stage and Commit of one file).
func (fs *Files) Write(path string, data []byte, perm os.FileMode) error {
	fs.Stage(path, data, perm)
	return fs.Commit()
}

// Commit writes every staged output, all or nothing as far as the files
// allow: each regular target is first written to a synced temporary file
// beside it; only when all are ready are special files and standard output
// written and the temporary files renamed over their targets. On an error
// before that point nothing has been written.
func (fs *Files) Commit() error {
	todo := fs.staged
	fs.staged = nil
	type pending struct {
		target, tmp string
	}
	var temps []pending
	abort := func() {
		for _, p := range temps {
			os.Remove(p.tmp)
		}
	}
	var inPlace []staged
	for _, s := range todo {
		if s.path == Stdio {
			inPlace = append(inPlace, s)
			continue
		}
		target, err := resolve(s.path)
		if err != nil {
			abort()
			return fmt.Errorf("write %s: %w", s.path, err)
		}
		if st, err := os.Stat(target); err == nil && !st.Mode().IsRegular() {
			if st.IsDir() {
				abort()
				return fmt.Errorf("write %s: is a directory", s.path)
			}
			inPlace = append(inPlace, staged{target, s.data, s.perm})
			continue
		}
		tmp, err := writeTemp(target, s.data, s.perm)
		if err != nil {
			abort()
			return fmt.Errorf("write %s: %w", s.path, err)
		}
		temps = append(temps, pending{target, tmp})
	}
	for _, s := range inPlace {
		if err := fs.writeInPlace(s); err != nil {
			abort()
			return err
		}
	}
	for i, p := range temps {
		if err := os.Rename(p.tmp, p.target); err != nil {
			temps = temps[i:]
			abort()
			return fmt.Errorf("write %s: %w", p.target, pathErrReason(err))
		}
	}
	return nil
}

func (fs *Files) writeInPlace(s staged) error {
	if s.path == Stdio {
		if _, err := fs.stdout.Write(s.data); err != nil {
			return fmt.Errorf("write standard output: %w", err)
		}
		return nil
	}
	f, err := os.OpenFile(s.path, os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("write %s: %w", s.path, pathErrReason(err))
	}
	_, err = f.Write(s.data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", s.path, pathErrReason(err))
	}
	return nil
}

// writeTemp writes data to a synced temporary file beside target and
// returns its name.
func writeTemp(target string, data []byte, perm os.FileMode) (string, error) {
	f, err := os.CreateTemp(filepath.Dir(target), "."+filepath.Base(target)+".tmp*")
	if err != nil {
		return "", pathErrReason(err)
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(perm)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return "", pathErrReason(err)
	}
	return tmp, nil
}
