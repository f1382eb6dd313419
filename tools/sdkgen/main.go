// Command sdkgen writes the nodejs and Go SDKs of a Pulumi package schema, as `pulumi package gen-sdk` would
// with the nodejs and Go language hosts (which the Go module proxy does not serve): the same codegen packages.
//
// Usage: sdkgen <schema.json> <out dir>; writes <out>/nodejs (the local-package form `pulumi package add`
// produces: compiled by its postinstall) and <out>/go, a module with a go.mod.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"runtime/debug"

	"github.com/blang/semver"

	"github.com/pulumi/pulumi/pkg/v3/codegen/go"
	"github.com/pulumi/pulumi/pkg/v3/codegen/nodejs"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
)

const tool = "pulumi-bitrix24 sdkgen"

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: sdkgen <schema.json> <out dir>")
		os.Exit(2)
	}
	if err := run(os.Args[1], os.Args[2]); err != nil {
		fmt.Fprintln(os.Stderr, "sdkgen:", err)
		os.Exit(1)
	}
}

func run(schemaPath, out string) error {
	raw, err := os.ReadFile(schemaPath)
	if err != nil {
		return err
	}
	var spec schema.PackageSpec
	if err := json.Unmarshal(raw, &spec); err != nil {
		return fmt.Errorf("%s: %w", schemaPath, err)
	}
	var loader noReferences
	languages := map[string]schema.Language{"nodejs": nodejs.Importer, "go": gen.Importer}
	pkg, err := schema.ImportSpec(spec, languages, loader, schema.ValidationOptions{})
	if err != nil {
		return fmt.Errorf("the schema does not bind: %w", err)
	}
	nodeFiles, err := nodejs.GeneratePackage(tool, pkg, nil, nil, true, loader)
	if err != nil {
		return fmt.Errorf("nodejs: %w", err)
	}
	goFiles, err := gen.GeneratePackage(tool, pkg, nil)
	if err != nil {
		return fmt.Errorf("go: %w", err)
	}
	if err := addGoMod(pkg, goFiles); err != nil {
		return err
	}
	if err := write(filepath.Join(out, "nodejs"), nodeFiles); err != nil {
		return err
	}
	return write(filepath.Join(out, "go"), goFiles)
}

// addGoMod makes the Go SDK its own module (codegen writes none), on the Pulumi Go SDK this tool is built with
// (tools/sdkgen/go.mod pins it to the CLI's version); `go mod tidy` completes it.
func addGoMod(pkg *schema.Package, files map[string][]byte) error {
	info, ok := pkg.Language["go"].(gen.GoPackageInfo)
	if !ok || info.ImportBasePath == "" {
		return errors.New("the schema has no language.go.importBasePath")
	}
	build, ok := debug.ReadBuildInfo()
	if !ok {
		return errors.New("sdkgen was built without module information")
	}
	for _, dep := range build.Deps {
		if dep.Path == "github.com/pulumi/pulumi/sdk/v3" {
			goMod := fmt.Sprintf("module %s\n\ngo 1.26\n\nrequire %s %s\n", info.ImportBasePath, dep.Path, dep.Version)
			files[path.Join(path.Base(info.ImportBasePath), "go.mod")] = []byte(goMod)
			return nil
		}
	}
	return errors.New("sdkgen was built without github.com/pulumi/pulumi/sdk/v3")
}

func write(dir string, files map[string][]byte) error {
	for name, content := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, content, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// noReferences is the schema loader: this package's schema references no other package, so every lookup of one
// is an error (the CLI's plugin loader would start that package's plugin instead).
type noReferences struct{}

var errReference = errors.New("the bitrix24 schema references no other package")

func (noReferences) LoadPackage(string, *semver.Version) (*schema.Package, error) {
	return nil, errReference
}

func (noReferences) LoadPackageV2(context.Context, *schema.PackageDescriptor) (*schema.Package, error) {
	return nil, errReference
}

func (noReferences) LoadPackageReference(string, *semver.Version) (schema.PackageReference, error) {
	return nil, errReference
}

func (noReferences) LoadPackageReferenceV2(
	context.Context, *schema.PackageDescriptor,
) (schema.PackageReference, error) {
	return nil, errReference
}
