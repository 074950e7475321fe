package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"

	"github.com/ws63emu/ws63emu/scenarios"
)

// genDocsCommand is the hidden `ws63emu gen-docs --man DIR --markdown
// DIR` that make docs runs: a man page and a Markdown page per command,
// with every flag (introspected), plus the scenario language reference.
func (c *cli) genDocsCommand() *cobra.Command {
	var manDir, mdDir string
	cmd := &cobra.Command{
		Use:    "gen-docs",
		Short:  "write man pages and Markdown references of every command",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if manDir == "" && mdDir == "" {
				return errors.New("gen-docs: want --man DIR and/or --markdown DIR")
			}
			return genDocs(manDir, mdDir)
		},
	}
	cmd.Flags().StringVar(&manDir, "man", "", "write man pages (section 1) to this directory")
	cmd.Flags().StringVar(&mdDir, "markdown", "", "write Markdown pages to this directory")
	return cmd
}

// genDocs writes the docs of a tree with every command's flags attached.
func genDocs(manDir, mdDir string) error {
	t := newCLI(os.Stdout, os.Stderr, true)
	root := t.root
	topic, _, err := root.Find([]string{"scenarios"})
	if err != nil {
		return err
	}
	// Both generators render Long as Markdown.
	topic.Long = scenarios.LanguageReference(true)
	if mdDir != "" {
		if err := os.MkdirAll(mdDir, 0o755); err != nil {
			return err
		}
		if err := doc.GenMarkdownTree(root, mdDir); err != nil {
			return fmt.Errorf("gen-docs: %w", err)
		}
		// Help topics are not part of the tree's pages.
		if err := os.WriteFile(filepath.Join(mdDir, "ws63emu_scenarios.md"), []byte(topic.Long), 0o644); err != nil {
			return err
		}
	}
	if manDir != "" {
		if err := os.MkdirAll(manDir, 0o755); err != nil {
			return err
		}
		// The date comes from SOURCE_DATE_EPOCH when set (make docs sets
		// it from the last commit), so the pages are reproducible.
		h := &doc.GenManHeader{Title: "WS63EMU", Section: "1", Source: "ws63emu", Manual: "ws63emu manual"}
		if err := doc.GenManTree(root, h, manDir); err != nil {
			return fmt.Errorf("gen-docs: %w", err)
		}
		f, err := os.Create(filepath.Join(manDir, "ws63emu-scenarios.7"))
		if err != nil {
			return err
		}
		h7 := &doc.GenManHeader{Title: "WS63EMU-SCENARIOS", Section: "7", Source: "ws63emu", Manual: "ws63emu manual"}
		err = doc.GenMan(topic, h7, f)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("gen-docs: %w", err)
		}
	}
	return nil
}
