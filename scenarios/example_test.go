package scenarios_test

import (
	"fmt"
	"strings"

	"github.com/ws63emu/ws63emu/scenarios"
)

// A scenario walks the guide's call sequence: the app stores a package and
// requests the upgrade; flashboot verifies, decompresses and replaces the
// images, resets, and the new app runs.
func ExampleRun() {
	const script = `# v1 -> v2 upgrade of app and flashboot, both LZMA-compressed
device layout=compress seed=42
image app-v1 kind=app version=1.0 size=32K
image app-v2 kind=app version=2.0 size=32K
image fb-v1 kind=flashboot version=1.0 size=16K
image fb-v2 kind=flashboot version=2.0 size=16K
package update images=app-v2,fb-v2 ver=2.0
burn fb-v1 app-v1
power-on
expect running app-v1
store update chunk=4096
expect error ERRCODE_SUCC
request-upgrade reset=true
expect running app-v2
expect verdict upgraded
expect result UPDATE_SUCCESS
expect retries app-v2=finished
`
	s, err := scenarios.Parse("example.scn", strings.NewReader(script))
	if err != nil {
		fmt.Println(err)
		return
	}
	rep, err := scenarios.Run(s, scenarios.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, e := range rep.Expectations {
		fmt.Printf("line %2d: %-31s saw %s\n", e.Line, "expect "+e.Expect, e.Seen)
	}
	fmt.Println("verdict:", rep.Verdict, "boots:", rep.Boots)
	// Output:
	// line 10: expect running app-v1           saw app-v1
	// line 12: expect error ERRCODE_SUCC       saw ERRCODE_SUCC
	// line 14: expect running app-v2           saw app-v2
	// line 15: expect verdict upgraded         saw upgraded
	// line 16: expect result UPDATE_SUCCESS    saw UPDATE_SUCCESS
	// line 17: expect retries app-v2=finished  saw finished (firmware_flag[0] = 00 00 00, FINISHED)
	// verdict: upgraded boots: 3
}

// A failed expectation stops the run with the line, what was expected and
// what the device showed.
func ExampleExpectError() {
	const script = `device layout=compress
image app-v1 kind=app version=1.0 size=8K
image fb-v1 kind=flashboot version=1.0 size=8K
burn fb-v1 app-v1
expect state running
`
	s, _ := scenarios.Parse("oops.scn", strings.NewReader(script))
	_, err := scenarios.Run(s, scenarios.Options{})
	fmt.Println(err)
	// Output:
	// oops.scn:5: expected state running, saw off
}
