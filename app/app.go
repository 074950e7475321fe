package app

import (
	"errors"
	"fmt"
	"io"

	"github.com/ws63emu/ws63emu/efuse"
	"github.com/ws63emu/ws63emu/partition"
	"github.com/ws63emu/ws63emu/upg"
)

// DefaultChunk is the storage chunk the guide's example uses (4 KiB).
const DefaultChunk = 0x1000

// Board is the device as the app sees it; the emulator implements it.
// A power cut stops the app inside a Flash call: it never returns.
type Board interface {
	Flash() upg.Flash
	Table() partition.Table
	Efuse() *efuse.Bank
	UpgOptions() upg.Options
	Print(msg string)
}

// App is the running application: its own instance of the update library
// (RAM state is lost at every reset), initialised at start-up.
type App struct {
	b   Board
	upg *upg.Upg
	// api is the engine the storage calls go to: upg itself (the Go
	// model) or the SDK engine's instance for this boot (upg.Options.Engine).
	api upg.API
	// Status is what uapi_upg_get_status reported at start-up.
	Status upg.Status
	// NV is what the start-up NV upgrade task did (nv.go).
	NV NVResult
}

// Start is the app's start-up: uapi_upg_init (which reports a finished
// upgrade's status once), then the NV upgrade task (NVTask).
func Start(b Board) (*App, error) {
	o := b.UpgOptions()
	a := &App{b: b, upg: upg.New(b.Flash(), b.Table(), o)}
	a.upg.SetRootKey(rootKey(b))
	a.api = a.upg
	if o.Engine != nil {
		api, err := o.Engine.Open("app", b.Flash(), o, b.Print)
		if err != nil {
			panic(&upg.EngineError{Err: err})
		}
		a.api = api
		a.upg.Attach() // the Go model serves the NV task's reads only
	}
	a.api = upg.Observe(a.api, o.Hooks.API)
	if err := a.api.Init(); err != nil {
		return a, err
	}
	a.Status = a.api.Status()
	a.NVTask() // main.c: nv_upg_upgrade_task_process; its outcome is in a.NV
	return a, nil
}

// Close ends the app's engine instance (the SDK engine's child process);
// the Go model has nothing to close. The device calls it when the app
// stops running (reset, power cut).
func (a *App) Close() error {
	if c, ok := a.api.(io.Closer); ok {
		return c.Close()
	}
	return nil
}

func rootKey(b Board) [64]byte {
	var k [64]byte
	if e, err := b.Table().Lookup(partition.RootKey); err == nil {
		b.Flash().ReadAt(k[:], int64(e.Offset)+0x40)
	}
	return k
}

// RegisterUserVerify is uapi_upg_register_user_defined_verify_func on the
// app's engine (and on the Go model instance, which serves the app's reads).
func (a *App) RegisterUserVerify(fn upg.UserVerifyFunc, param any) {
	a.upg.RegisterUserVerify(fn, param)
	if r, ok := a.api.(interface {
		RegisterUserVerify(upg.UserVerifyFunc, any)
	}); ok && a.api != upg.API(a.upg) {
		r.RegisterUserVerify(fn, param)
	}
}

// API is the engine the app's storage calls go to (upg.Options.Engine, or
// the Go model instance Upg returns).
func (a *App) API() upg.API { return a.api }

// Upg gives scenarios and examples the app's update library instance.
func (a *App) Upg() *upg.Upg { return a.upg }

// Store receives a package of size bytes from r in chunks and stores it as
// the guide's example does: get_storage_size, prepare, write_package_sync
// per chunk. The first SDK error stops it and is returned.
func (a *App) Store(r io.Reader, size uint32, chunk int) error {
	if chunk <= 0 {
		chunk = DefaultChunk
	}
	if chunk > upg.MaxWriteLen {
		return fmt.Errorf("app: chunk %d exceeds the SDK's %d-byte write limit", chunk, upg.MaxWriteLen)
	}
	if max := a.api.StorageSize(); size > max {
		a.b.Print(fmt.Sprintf("package of %d bytes exceeds storage size %d", size, max))
	}
	if err := a.api.Prepare(size); err != nil {
		return err
	}
	buf := make([]byte, chunk)
	for off := uint32(0); off < size; {
		n, err := io.ReadFull(r, buf[:min(uint32(chunk), size-off)])
		if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
			return fmt.Errorf("app: receive at offset %d: %w", off, err)
		}
		if n == 0 {
			return fmt.Errorf("app: transport ended at offset %d of %d", off, size)
		}
		if err := a.api.WritePackageSync(off, buf[:n]); err != nil {
			return err
		}
		off += uint32(n)
	}
	return nil
}

// RequestUpgrade is uapi_upg_request_upgrade; the caller resets the device
// when reset was asked for.
func (a *App) RequestUpgrade() error { return a.api.RequestUpgrade() }
