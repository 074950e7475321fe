// Package app is the WS63 application program's upgrade side: at start-up
// it initialises the update library (uapi_upg_init reports a finished
// upgrade's status once); on request it receives a package from an
// io.Reader in chunks, stores it with uapi_upg_prepare and
// uapi_upg_write_package_sync, and calls uapi_upg_request_upgrade — the
// guide's storage example, step for step.
package app
