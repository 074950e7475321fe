package upg

// API is the seam between the programs (package app, package flashboot)
// and the update library: the uapi_upg_* calls they make. Two engines
// implement it: the Go model (*Upg) and the SDK engine (package
// sdkengine: the vendor's own C library, compiled from an SDK checkout and
// run in a child process over the same flash). The programs' decisions
// (boot flow, try-fix-app, the NV task, reset counters) stay in Go and call
// whichever engine Options.Engine selects.
//
//	API method            SDK
//	Init                  ws63_upg_init → uapi_upg_init
//	Status                upg_get_status's value, kept by uapi_upg_init
//	StorageSize           uapi_upg_get_storage_size
//	Prepare               uapi_upg_prepare
//	WritePackageSync      uapi_upg_write_package_sync
//	RequestUpgrade        uapi_upg_request_upgrade(false)
//	Start                 uapi_upg_start
//	VerifyStoredPackage   upg_get_package_header + uapi_upg_verify_file
//	ResetUpgradeFlag      uapi_upg_reset_upgrade_flag
//	Result                uapi_upg_get_result
type API interface {
	Init() error
	Status() Status
	StorageSize() uint32
	Prepare(packageLen uint32) error
	WritePackageSync(off uint32, buf []byte) error
	// WritePackageAsync is uapi_upg_write_package_async: the write, then
	// done (if not nil) with the code the vendor's callback got; it runs
	// before the call returns, on success only, as in upg_storage.c.
	WritePackageAsync(off uint32, buf []byte, done func(error)) error
	// ReadPackage is uapi_upg_read_package: the stored package's bytes at
	// off into buf, and how many were read (the vendor API reports no
	// count: an engine running it says len(buf)).
	ReadPackage(off uint32, buf []byte) (int, error)
	RequestUpgrade() error
	Start() error
	VerifyStoredPackage() error
	ResetUpgradeFlag() error
	Result() (Result, uint32, error)
}

// Engine opens one program's instance of another implementation of API
// for one boot of that program (RAM state is per boot, as on the device).
// prog is "app" or "flashboot"; f is the flash as the program sees it (a
// power cut stops the program inside a Flash call); o are the program's
// options (the engine reports phases through o.Hooks); print is its UART.
// The returned API may also be an io.Closer, which the program calls when
// it is done with it.
type Engine interface {
	Open(prog string, f Flash, o Options, print func(string)) (API, error)
}

// EngineError is the panic value an engine raises when it cannot go on
// (its child process died, its protocol broke, the vendor code reached a
// component the engine does not model). The emulator turns it into a
// device failure the runner reports; it is never a verdict.
type EngineError struct{ Err error }

func (e *EngineError) Error() string { return "sdk engine: " + e.Err.Error() }
func (e *EngineError) Unwrap() error { return e.Err }

// VerifyStoredPackage is VerifyStored for the API seam.
func (u *Upg) VerifyStoredPackage() error {
	_, err := u.VerifyStored()
	return err
}

// Attach marks u initialised without reading or writing the flag area:
// another engine ran uapi_upg_init, and u only serves the Go-side reads
// the programs still make (the flag, the NV task's package reads).
func (u *Upg) Attach() {
	u.inited = true
	u.result = ResultMax
	u.status = StatusNone
}

var _ API = (*Upg)(nil)

// Observe returns a with every call reported to fn (call name and
// result) after it returns; with fn nil it returns a itself. The result
// keeps a's io.Closer.
func Observe(a API, fn func(call string, err error)) API {
	if fn == nil {
		return a
	}
	return observed{a, fn}
}

type observed struct {
	a  API
	fn func(string, error)
}

func (o observed) Init() error {
	err := o.a.Init()
	o.fn("init", err)
	return err
}

func (o observed) Status() Status { return o.a.Status() }

func (o observed) StorageSize() uint32 { return o.a.StorageSize() }

func (o observed) Prepare(n uint32) error {
	err := o.a.Prepare(n)
	o.fn("prepare", err)
	return err
}

func (o observed) WritePackageSync(off uint32, buf []byte) error {
	err := o.a.WritePackageSync(off, buf)
	o.fn("write_package_sync", err)
	return err
}

func (o observed) WritePackageAsync(off uint32, buf []byte, done func(error)) error {
	err := o.a.WritePackageAsync(off, buf, done)
	o.fn("write_package_async", err)
	return err
}

func (o observed) ReadPackage(off uint32, buf []byte) (int, error) {
	n, err := o.a.ReadPackage(off, buf)
	o.fn("read_package", err)
	return n, err
}

func (o observed) RequestUpgrade() error {
	err := o.a.RequestUpgrade()
	o.fn("request_upgrade", err)
	return err
}

func (o observed) Start() error {
	err := o.a.Start()
	o.fn("start", err)
	return err
}

func (o observed) VerifyStoredPackage() error {
	err := o.a.VerifyStoredPackage()
	o.fn("verify_file", err)
	return err
}

func (o observed) ResetUpgradeFlag() error {
	err := o.a.ResetUpgradeFlag()
	o.fn("reset_upgrade_flag", err)
	return err
}

// RegisterUserVerify passes the registration on to an engine that takes it.
func (o observed) RegisterUserVerify(fn UserVerifyFunc, param any) {
	if r, ok := o.a.(interface {
		RegisterUserVerify(UserVerifyFunc, any)
	}); ok {
		r.RegisterUserVerify(fn, param)
	}
}

func (o observed) Result() (Result, uint32, error) { return o.a.Result() }

func (o observed) Close() error {
	if c, ok := o.a.(interface{ Close() error }); ok {
		return c.Close()
	}
	return nil
}
