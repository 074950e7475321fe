package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/ws63emu/ws63emu/scenarios"
)

// The command tree is cobra's, built from the commands table: every
// command (and every verb of image, flash, pkg, sweep merge) forwards its
// arguments untouched to its run function, which parses its own flags
// with pflag as before. For help, completion and the generated docs the
// flags are found by introspection: the run function is called with
// --help and a captureWriter as stderr, newFlagSet records the flag set
// it makes there (flags are defined before Parse, which stops at --help),
// and dispatch records its verbs. Flags added to a command later appear
// in its help and completion with no change here.

// captureWriter is the stderr of an introspection call.
type captureWriter struct {
	bytes.Buffer
	sets []*pflag.FlagSet
	subs []subcommand
}

// noteFlagSet records fs when stderr is an introspection call's.
func noteFlagSet(stderr io.Writer, fs *pflag.FlagSet) {
	if c, ok := stderr.(*captureWriter); ok {
		c.sets = append(c.sets, fs)
	}
}

// noteVerbs records a command's verbs when stderr is an introspection
// call's; it reports whether it did (dispatch then returns at once).
func noteVerbs(stderr io.Writer, subs []subcommand) bool {
	c, ok := stderr.(*captureWriter)
	if ok {
		c.subs = subs
	}
	return ok
}

// extraVerbs are verbs a command takes without dispatch.
var extraVerbs = map[string][]string{"sweep": {"merge"}}

// introspection is what a command's run function shows of itself.
type introspection struct {
	flags    *pflag.FlagSet // nil when it makes none
	verbs    []string
	synopsis string // its usage lines, without the flag defaults
}

// introspect calls run with --help (after prefix, the verb) and reports
// what it defined.
func introspect(run runFunc, prefix ...string) introspection {
	c := &captureWriter{}
	_ = run(append(slices.Clone(prefix), "--help"), io.Discard, c)
	var in introspection
	for _, sc := range c.subs {
		in.verbs = append(in.verbs, sc.name)
	}
	text := c.String()
	if n := len(c.sets); n > 0 {
		in.flags = c.sets[n-1]
		text = strings.Replace(text, in.flags.FlagUsages(), "", 1)
	}
	var lines []string
	for _, l := range strings.Split(text, "\n") {
		switch {
		case strings.TrimSpace(l) == "", strings.HasPrefix(l, "Usage of "):
			continue
		case strings.HasPrefix(l, "usage: "):
			l = strings.TrimPrefix(l, "usage: ")
		case strings.HasPrefix(l, "       "):
			l = l[7:]
		}
		lines = append(lines, "    "+l)
	}
	in.synopsis = strings.Join(lines, "\n")
	return in
}

// cli is one invocation's command tree.
type cli struct {
	root           *cobra.Command
	stdout, stderr io.Writer
	// forms maps each forwarding command to its run function and the
	// verb path its arguments are prefixed with.
	forms map[*cobra.Command]form
	// withFlags: flags are parsed by cobra (completion, docs), not
	// forwarded.
	withFlags bool
	log       logFlags
}

type form struct {
	run      runFunc
	prefix   []string
	attached bool
}

// newCLI builds the tree; withFlags attaches every command's flags (for
// completion and docs) instead of forwarding them.
func newCLI(stdout, stderr io.Writer, withFlags bool) *cli {
	c := &cli{stdout: stdout, stderr: stderr, forms: map[*cobra.Command]form{}, withFlags: withFlags}
	root := &cobra.Command{
		Use:   "ws63emu",
		Short: "emulate the HiSilicon WS63 firmware-upgrade (FOTA) flow",
		Long: `ws63emu emulates the HiSilicon WS63 firmware-upgrade (FOTA) flow: a 4 MiB NOR
flash, the SDK's uapi_upg_* storage API, flashboot's verify / decompress /
replace loop, a packer, scripted scenarios with power cuts, and power-cut
sweeps with JSON and JUnit reports.

Exit status: 0 ok, 1 a failed expectation or verification, 2 bad usage or
input, 130 / 143 interrupted by SIGINT / SIGTERM (partial reports written).`,
		Version:           toolVersion(),
		Args:              cobra.ArbitraryArgs,
		SilenceErrors:     true,
		SilenceUsage:      true,
		TraverseChildren:  true,
		DisableAutoGenTag: true,
		RunE:              c.runRoot,
		// "did you mean": cobra's suggestions (Levenshtein distance ≤ 2 or a prefix)
		SuggestionsMinimumDistance: 2,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetVersionTemplate(versionText())
	c.log.define(root.PersistentFlags())
	c.root = root

	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		root.AddCommand(c.command(n, commands[n].summary, commands[n].run, nil))
	}
	if withFlags { // in the tree, so that command paths are whole
		for _, cmd := range root.Commands() {
			c.attach(cmd)
			for _, sub := range cmd.Commands() {
				c.attach(sub)
			}
		}
	}
	topic := &cobra.Command{
		Use:   "scenarios",
		Short: "the scenario script language (ws63emu help scenarios)",
	}
	root.AddCommand(topic)
	root.AddCommand(c.genDocsCommand())
	root.SetHelpCommand(c.helpCommand())
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	for _, cmd := range root.Commands() {
		if cmd.Name() == "completion" { // in the style of the other commands
			cmd.Short = "shell completion script for bash, zsh, fish or powershell"
		}
	}
	def := root.HelpFunc()
	root.SetHelpFunc(func(cmd *cobra.Command, args []string) {
		c.attach(cmd)
		if cmd == topic && topic.Long == "" {
			// Rendered when asked for: it costs a few milliseconds at
			// every start otherwise.
			topic.Long = scenarios.LanguageReference(false)
		}
		def(cmd, args)
	})
	return c
}

// command makes the cobra command of one table entry or verb.
func (c *cli) command(name, summary string, run runFunc, prefix []string) *cobra.Command {
	cmd := &cobra.Command{
		Use:                name,
		Short:              summary,
		DisableFlagParsing: !c.withFlags,
		Args:               cobra.ArbitraryArgs,
		// "did you mean" for verbs too
		SuggestionsMinimumDistance: 2,
	}
	cmd.RunE = func(cmd *cobra.Command, args []string) error { return c.forward(cmd, args) }
	c.forms[cmd] = form{run: run, prefix: prefix}
	if len(prefix) > 0 {
		return cmd // verbs have no verbs
	}
	in := introspect(run)
	verbs := append(in.verbs, extraVerbs[name]...)
	for _, v := range verbs {
		sub := c.command(v, "", run, []string{v})
		cmd.AddCommand(sub)
	}
	return cmd
}

// attach copies a forwarding command's flags and synopsis into it (once).
func (c *cli) attach(cmd *cobra.Command) {
	f, ok := c.forms[cmd]
	if !ok || f.attached {
		return
	}
	f.attached = true
	c.forms[cmd] = f
	in := introspect(f.run, f.prefix...)
	if in.flags != nil {
		cmd.Flags().SortFlags = false
		cmd.Flags().AddFlagSet(in.flags)
	}
	if cmd.Short == "" && cmd.HasParent() {
		c.attach(cmd.Parent())
		cmd.Short = shorten(verbLine(cmd.Parent().Long, cmd.CommandPath()))
	}
	syn := in.synopsis
	head := cmd.Short
	if len(f.prefix) > 0 { // a verb: its parent's words, and its own line of the parent's synopsis
		head = cmd.Parent().Short
		if line := verbLine(cmd.Parent().Long, cmd.CommandPath()); line != "" && !strings.Contains(syn, cmd.CommandPath()) {
			syn = "    " + cmd.CommandPath() + " " + line
		}
	}
	if syn != "" {
		cmd.Long = head + "\n\nSynopsis:\n\n" + syn
	}
	for _, sub := range cmd.Commands() {
		if sub.Short == "" {
			sub.Short = shorten(verbLine(in.synopsis, sub.CommandPath()))
		}
	}
}

// verbLine is what the synopsis shows of a verb: its arguments (the
// line after "ws63emu CMD VERB"), shortened to one line of help.
func verbLine(synopsis, path string) string {
	for _, l := range strings.Split(synopsis, "\n") {
		l = strings.TrimSpace(l)
		if rest, ok := strings.CutPrefix(l, path); ok && (rest == "" || rest[0] == ' ') {
			rest = strings.TrimSpace(rest)
			return rest
		}
	}
	return ""
}

// forward runs a command's run function with its arguments as given,
// after taking out the global flags; -h and --help print cobra's help.
func (c *cli) forward(cmd *cobra.Command, args []string) error {
	f := c.forms[cmd]
	args, err := c.log.extract(args)
	if err != nil {
		return err
	}
	if wantsHelp(args) || (cmd.HasSubCommands() && len(args) == 1 && args[0] == "help") { // image help, too
		return cmd.Help()
	}
	_, optional := extraVerbs[cmd.Name()] // sweep FILE.scn: its first word need not be a verb
	if cmd.HasSubCommands() && !optional && len(f.prefix) == 0 && len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		// not one of the verbs, or cobra would have run it
		if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
			return fmt.Errorf("%s: unknown subcommand %q (did you mean %q?)", cmd.Name(), args[0], s[0])
		}
	}
	stop, err := c.log.start(c.stderr)
	if err != nil {
		return err
	}
	defer stop()
	return f.run(append(slices.Clone(f.prefix), args...), c.stdout, c.stderr)
}

// shorten cuts a synopsis line to one line of a command list.
func shorten(s string) string {
	if r := []rune(s); len(r) > 70 {
		return string(r[:69]) + "…"
	}
	return s
}

// wantsHelp reports whether -h or --help comes before a "--".
func wantsHelp(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "-h", "--help":
			return true
		}
	}
	return false
}

// runRoot is ws63emu with no command, or an unknown one.
func (c *cli) runRoot(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(c.stderr, cmd.UsageString())
		return errors.New("no command given")
	}
	return unknownCommand(cmd, args[0])
}

func unknownCommand(root *cobra.Command, name string) error {
	if s := root.SuggestionsFor(name); len(s) > 0 {
		return fmt.Errorf("unknown command %q (did you mean %q?); run 'ws63emu help'", name, s[0])
	}
	return fmt.Errorf("unknown command %q; run 'ws63emu help'", name)
}

// helpCommand is `ws63emu help [COMMAND [VERB]]`, on stdout; an unknown
// topic is bad usage (exit 2), with a suggestion.
func (c *cli) helpCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "help [command]",
		Short: "help about any command, or a topic (scenarios: the script language)",
		ValidArgsFunction: func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
			var out []cobra.Completion
			parent := c.root
			if len(args) > 0 {
				if p, rest, err := c.root.Find(args); err == nil && len(rest) == 0 {
					parent = p
				} else {
					return nil, cobra.ShellCompDirectiveNoFileComp
				}
			}
			for _, s := range parent.Commands() {
				if s.IsAvailableCommand() || s.IsAdditionalHelpTopicCommand() {
					out = append(out, cobra.CompletionWithDesc(s.Name(), s.Short))
				}
			}
			return out, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			target, rest, err := c.root.Find(args)
			if err != nil {
				return err
			}
			if len(rest) > 0 {
				if target == c.root {
					return unknownCommand(c.root, rest[0])
				}
				return fmt.Errorf("help: %s has no subcommand %q", target.CommandPath(), rest[0])
			}
			if target == c.root && len(args) > 0 {
				return unknownCommand(c.root, args[0])
			}
			return target.Help()
		},
	}
}

// run executes one invocation; it returns the error to report, if any.
func run(args []string, stdout, stderr io.Writer) error {
	withFlags := len(args) > 0 && (args[0] == cobra.ShellCompRequestCmd || args[0] == cobra.ShellCompNoDescRequestCmd)
	c := newCLI(stdout, stderr, withFlags)
	c.root.SetArgs(args)
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		// ws63emu sweeep → "did you mean", not a flag error
		if cmd, _, err := c.root.Find(args[:1]); err == nil && cmd == c.root && !withFlags {
			return unknownCommand(c.root, args[0])
		}
	}
	return c.root.Execute()
}
