// Command pulumi-language-python is a minimal Pulumi language host for Python programs.
//
// Pulumi's own Python host lives in a Go module that the module proxy reachable from this
// project does not serve, so the project builds this small host instead. It speaks the
// engine's LanguageRuntime gRPC protocol and runs the program through the official
// `pulumi-language-python-exec` launcher of the Python SDK, so the Pulumi engine and the
// Python SDK that run a program are the real, released ones. Real users install Pulumi
// normally and get Pulumi's own host; this one is only for machines without the installer.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/version"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"
)

// bailExitCode is what the exec launcher returns after it has already shown the user an error.
const bailExitCode = 32

type pythonHost struct {
	pulumirpc.UnimplementedLanguageRuntimeServer

	mu            sync.Mutex
	engineAddress string
}

func (h *pythonHost) engine() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.engineAddress
}

func (h *pythonHost) Handshake(
	_ context.Context, req *pulumirpc.LanguageHandshakeRequest,
) (*pulumirpc.LanguageHandshakeResponse, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.engineAddress = req.GetEngineAddress()
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (h *pythonHost) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version.Version}, nil
}

// GetRequiredPlugins reports none: dynamic providers ship with the SDK and need no download.
func (h *pythonHost) GetRequiredPlugins(
	context.Context, *pulumirpc.GetRequiredPluginsRequest,
) (*pulumirpc.GetRequiredPluginsResponse, error) {
	return &pulumirpc.GetRequiredPluginsResponse{}, nil
}

func (h *pythonHost) GetRequiredPackages(
	context.Context, *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	return &pulumirpc.GetRequiredPackagesResponse{}, nil
}

// InstallDependencies does nothing: the project's bootstrap script owns the virtualenv.
func (h *pythonHost) InstallDependencies(
	*pulumirpc.InstallDependenciesRequest,
	grpc.ServerStreamingServer[pulumirpc.InstallDependenciesResponse],
) error {
	return nil
}

func (h *pythonHost) RuntimeOptionsPrompts(
	context.Context, *pulumirpc.RuntimeOptionsRequest,
) (*pulumirpc.RuntimeOptionsResponse, error) {
	return &pulumirpc.RuntimeOptionsResponse{}, nil
}

func (h *pythonHost) GetProgramDependencies(
	context.Context, *pulumirpc.GetProgramDependenciesRequest,
) (*pulumirpc.GetProgramDependenciesResponse, error) {
	return &pulumirpc.GetProgramDependenciesResponse{}, nil
}

func (h *pythonHost) About(_ context.Context, req *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	python := pythonCommand(req.GetInfo())
	out, err := exec.Command(python, "--version").Output()
	if err != nil {
		return nil, fmt.Errorf("running %s --version: %w", python, err)
	}
	return &pulumirpc.AboutResponse{Executable: python, Version: string(out)}, nil
}

// pythonCommand picks the interpreter: the project's `virtualenv` option, then PULUMI_PYTHON_CMD, then python3.
func pythonCommand(info *pulumirpc.ProgramInfo) string {
	if venv := info.GetOptions().GetFields()["virtualenv"].GetStringValue(); venv != "" {
		if !filepath.IsAbs(venv) {
			venv = filepath.Join(info.GetRootDirectory(), venv)
		}
		return filepath.Join(venv, "bin", "python")
	}
	if cmd := os.Getenv("PULUMI_PYTHON_CMD"); cmd != "" {
		return cmd
	}
	return "python3"
}

// launcherPath finds the SDK's exec launcher installed beside this binary.
func launcherPath() (string, error) {
	self, err := os.Executable()
	if err != nil {
		return "", err
	}
	return filepath.Join(filepath.Dir(self), "pulumi-language-python-exec"), nil
}

func (h *pythonHost) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	launcher, err := launcherPath()
	if err != nil {
		return nil, err
	}
	info := req.GetInfo()
	args := []string{
		"-u", launcher,
		"--monitor", req.GetMonitorAddress(),
		"--engine", h.engine(),
		"--project", req.GetProject(),
		"--stack", req.GetStack(),
		"--pwd", req.GetPwd(),
		"--dry_run", strconv.FormatBool(req.GetDryRun()),
		"--parallel", strconv.Itoa(int(req.GetParallel())),
		"--organization", req.GetOrganization(),
		"--root_directory", info.GetRootDirectory(),
		programPath(info),
	}
	args = append(args, req.GetArgs()...)
	env, err := programEnv(req)
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, pythonCommand(info), args...)
	cmd.Dir = req.GetPwd()
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	return runResult(cmd.Run()), nil
}

// programPath is the program to run: the entry point inside the program directory.
func programPath(info *pulumirpc.ProgramInfo) string {
	entry := info.GetEntryPoint()
	if entry == "" {
		entry = "."
	}
	return filepath.Join(info.GetProgramDirectory(), entry)
}

// programEnv passes stack config the way the Python SDK reads it (always an object and a list, never null).
func programEnv(req *pulumirpc.RunRequest) ([]string, error) {
	configMap := req.GetConfig()
	if configMap == nil {
		configMap = map[string]string{}
	}
	keys := req.GetConfigSecretKeys()
	if keys == nil {
		keys = []string{}
	}
	config, err := json.Marshal(configMap)
	if err != nil {
		return nil, err
	}
	secretKeys, err := json.Marshal(keys)
	if err != nil {
		return nil, err
	}
	return append(os.Environ(),
		"PULUMI_CONFIG="+string(config),
		"PULUMI_CONFIG_SECRET_KEYS="+string(secretKeys),
	), nil
}

func runResult(err error) *pulumirpc.RunResponse {
	var exitErr *exec.ExitError
	switch {
	case err == nil:
		return &pulumirpc.RunResponse{}
	case errors.As(err, &exitErr) && exitErr.ExitCode() == bailExitCode:
		return &pulumirpc.RunResponse{Bail: true}
	default:
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("python program failed: %v", err)}
	}
}

func main() {
	host := &pythonHost{}
	if len(os.Args) > 1 {
		// Older engines pass their address as the last argument instead of calling Handshake.
		host.engineAddress = os.Args[len(os.Args)-1]
	}
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, host)
			return nil
		},
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-python: %v\n", err)
		os.Exit(1)
	}
	fmt.Println(handle.Port)
	if err := <-handle.Done; err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-python: %v\n", err)
		os.Exit(1)
	}
}
