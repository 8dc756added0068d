// pulumi-language-nodejs: a small Node.js language host for the Pulumi engine.
//
// Written for this project because the upstream host
// (github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3) is not served by the Go
// module proxy this project can reach. It implements the parts of the LanguageRuntime gRPC
// protocol that `pulumi preview/up/refresh/destroy/install` and policy packs need, and delegates
// the real work to the scripts that ship in the @pulumi/pulumi npm package
// (@pulumi/pulumi/cmd/run, cmd/run-plugin, cmd/run-policy-pack), exactly like the upstream host.
//
// Not implemented (upstream-only features): code generation (GenerateProgram/Project/Package,
// Pack, Link), templates, runtime option prompts, debugger attach, synchronous invokes.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/cmdutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"
)

// Version is set with -ldflags "-X main.Version=...".
var Version = "0.0.0"

// How often the host asks the engine whether it is still running (upstream plugins: 5 minutes).
const engineHealthInterval = 2 * time.Second

// The Node.js processes this host started and has not yet seen exit.
var children = &childSet{running: map[*exec.Cmd]struct{}{}}

type childSet struct {
	mu      sync.Mutex
	running map[*exec.Cmd]struct{}
}

// run starts cmd, remembers it until it exits, and waits for it (exec.Cmd.Run, tracked).
func (c *childSet) run(cmd *exec.Cmd) error {
	if err := cmd.Start(); err != nil {
		return err
	}
	c.mu.Lock()
	c.running[cmd] = struct{}{}
	c.mu.Unlock()
	err := cmd.Wait()
	c.mu.Lock()
	delete(c.running, cmd)
	c.mu.Unlock()
	return err
}

func (c *childSet) killAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for cmd := range c.running {
		_ = cmd.Process.Kill()
	}
}

// Exit code with which @pulumi/pulumi/cmd/run says "the error was already reported to the user".
const nodeExitedAfterLoggingUserActionableMessage = 32

func main() {
	fs := flag.NewFlagSet(os.Args[0], flag.ContinueOnError)
	tracing := fs.String("tracing", "", "emit tracing to a Zipkin-compatible tracing endpoint")
	_ = fs.String("root", "", "project root directory (ignored)")
	_ = fs.Bool("typescript", true, "(ignored, use the `typescript` runtime option)")
	_ = fs.String("tsconfig", "", "(ignored, use the `tsconfig` runtime option)")
	_ = fs.String("nodeargs", "", "(ignored, use the `nodeargs` runtime option)")
	_ = fs.String("packagemanager", "", "(ignored)")
	if len(os.Args) > 1 && (os.Args[1] == "-version" || os.Args[1] == "--version") {
		fmt.Println(Version)
		return
	}
	if err := fs.Parse(os.Args[1:]); err != nil {
		cmdutil.Exit(err)
	}

	engineAddress := ""
	if args := fs.Args(); len(args) > 0 {
		engineAddress = args[0]
	}

	host := &nodeLanguageHost{engineAddress: engineAddress, tracing: *tracing}
	cancel := make(chan bool)
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Cancel: cancel,
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, host)
			return nil
		},
		Options: rpcutil.OpenTracingServerInterceptorOptions(nil),
	})
	if err != nil {
		cmdutil.Exit(fmt.Errorf("could not start language host RPC server: %w", err))
	}
	// The engine reads the port from our first line of stdout.
	fmt.Printf("%d\n", handle.Port)
	if engineAddress != "" {
		// A killed engine cannot tell us to stop: ask it often whether it is still there, and when it
		// is gone take our Node.js processes with us instead of outliving it.
		if err := rpcutil.Healthcheck(context.Background(), engineAddress, engineHealthInterval, func() {
			fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: the engine at %s is gone; stopping\n", engineAddress)
			children.killAll()
			os.Exit(1)
		}); err != nil {
			cmdutil.Exit(fmt.Errorf("could not watch the engine at %s: %w", engineAddress, err))
		}
	}
	if err := <-handle.Done; err != nil {
		cmdutil.Exit(fmt.Errorf("language host RPC stopped serving: %w", err))
	}
}

type nodeLanguageHost struct {
	pulumirpc.UnimplementedLanguageRuntimeServer

	engineAddress string
	tracing       string
}

// ---- options ---------------------------------------------------------------------------------

type runtimeOptions struct {
	typescript     bool
	tsconfig       string
	nodeargs       []string
	packagemanager string
}

func parseOptions(s *structpb.Struct) runtimeOptions {
	o := runtimeOptions{typescript: true}
	if s == nil {
		return o
	}
	m := s.AsMap()
	if v, ok := m["typescript"].(bool); ok {
		o.typescript = v
	}
	if v, ok := m["tsconfig"].(string); ok {
		o.tsconfig = v
	}
	if v, ok := m["nodeargs"].(string); ok {
		o.nodeargs = strings.Fields(v)
	}
	if v, ok := m["packagemanager"].(string); ok {
		o.packagemanager = v
	}
	return o
}

func programDir(info *pulumirpc.ProgramInfo, fallback string) string {
	if info != nil && info.ProgramDirectory != "" {
		return info.ProgramDirectory
	}
	if fallback != "" {
		return fallback
	}
	wd, _ := os.Getwd()
	return wd
}

// ---- node helpers --------------------------------------------------------------------------------

func nodeBinary() (string, error) {
	node, err := exec.LookPath("node")
	if err != nil {
		return "", errors.New("could not find `node` on the $PATH: install Node.js to run Pulumi programs")
	}
	return node, nil
}

// resolveModule finds a module the way Node.js would from dir (so npm/yarn/pnpm workspaces and
// hoisting all work).
func resolveModule(node, dir, module string) (string, error) {
	script := fmt.Sprintf("process.stdout.write(require.resolve(%q, {paths: [process.cwd()]}))", module)
	cmd := exec.Command(node, "-e", script)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("it looks like the Pulumi SDK has not been installed (could not resolve %s from %s). "+
			"Have you run `npm install` or `yarn install`?", module, dir)
	}
	return strings.TrimSpace(string(out)), nil
}

func exitCode(err error) (int, bool) {
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		if ws, ok := exitErr.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return -1, false
		}
		return exitErr.ExitCode(), true
	}
	return -1, false
}

// ---- RPCs ----------------------------------------------------------------------------------------

func (h *nodeLanguageHost) Handshake(
	_ context.Context, req *pulumirpc.LanguageHandshakeRequest,
) (*pulumirpc.LanguageHandshakeResponse, error) {
	if req.EngineAddress != "" {
		h.engineAddress = req.EngineAddress
	}
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (h *nodeLanguageHost) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: Version}, nil
}

type pkgJSON struct {
	Name            string            `json:"name"`
	Version         string            `json:"version"`
	Dependencies    map[string]string `json:"dependencies"`
	DevDependencies map[string]string `json:"devDependencies"`
	Pulumi          *struct {
		Resource bool   `json:"resource"`
		Name     string `json:"name"`
		Version  string `json:"version"`
		Server   string `json:"server"`
	} `json:"pulumi"`
}

func readPkgJSON(path string) (*pkgJSON, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var p pkgJSON
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// nodeModulesDirs returns every node_modules directory from the program directory up to (and
// including) the project root directory.
func nodeModulesDirs(info *pulumirpc.ProgramInfo) []string {
	dir := programDir(info, "")
	root := ""
	if info != nil {
		root = info.RootDirectory
	}
	var dirs []string
	for {
		nm := filepath.Join(dir, "node_modules")
		if st, err := os.Stat(nm); err == nil && st.IsDir() {
			dirs = append(dirs, nm)
		}
		parent := filepath.Dir(dir)
		if root == "" || dir == root || parent == dir || !strings.HasPrefix(dir, root) {
			break
		}
		dir = parent
	}
	return dirs
}

// findResourcePackages walks node_modules (including scoped and nested node_modules) for packages
// that declare `"pulumi": {"resource": true}`: the resource plugins the program will need.
func findResourcePackages(info *pulumirpc.ProgramInfo) []*pulumirpc.PackageDependency {
	seen := map[string]bool{}
	var result []*pulumirpc.PackageDependency
	var walk func(nm string, depth int)
	walk = func(nm string, depth int) {
		if depth > 8 {
			return
		}
		entries, err := os.ReadDir(nm)
		if err != nil {
			return
		}
		var pkgDirs []string
		for _, e := range entries {
			name := e.Name()
			if strings.HasPrefix(name, ".") {
				continue
			}
			full := filepath.Join(nm, name)
			if strings.HasPrefix(name, "@") {
				scoped, err := os.ReadDir(full)
				if err != nil {
					continue
				}
				for _, s := range scoped {
					pkgDirs = append(pkgDirs, filepath.Join(full, s.Name()))
				}
				continue
			}
			pkgDirs = append(pkgDirs, full)
		}
		for _, d := range pkgDirs {
			p, err := readPkgJSON(filepath.Join(d, "package.json"))
			if err == nil && p.Pulumi != nil && p.Pulumi.Resource {
				name := p.Pulumi.Name
				if name == "" {
					name = strings.TrimPrefix(p.Name, "@pulumi/")
				}
				version := p.Pulumi.Version
				if version == "" {
					version = p.Version
				}
				key := name + "@" + version
				if !seen[key] {
					seen[key] = true
					result = append(result, &pulumirpc.PackageDependency{
						Kind:    "resource",
						Name:    name,
						Version: "v" + strings.TrimPrefix(version, "v"),
						Server:  p.Pulumi.Server,
					})
				}
			}
			walk(filepath.Join(d, "node_modules"), depth+1)
		}
	}
	for _, nm := range nodeModulesDirs(info) {
		walk(nm, 0)
	}
	sort.Slice(result, func(i, j int) bool {
		return result[i].Name+result[i].Version < result[j].Name+result[j].Version
	})
	return result
}

func (h *nodeLanguageHost) GetRequiredPackages(
	_ context.Context, req *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	return &pulumirpc.GetRequiredPackagesResponse{Packages: findResourcePackages(req.Info)}, nil
}

func (h *nodeLanguageHost) GetRequiredPlugins(
	_ context.Context, req *pulumirpc.GetRequiredPluginsRequest,
) (*pulumirpc.GetRequiredPluginsResponse, error) {
	var plugins []*pulumirpc.PluginDependency
	for _, p := range findResourcePackages(req.Info) {
		plugins = append(plugins, &pulumirpc.PluginDependency{
			Name: p.Name, Kind: p.Kind, Version: p.Version, Server: p.Server,
		})
	}
	return &pulumirpc.GetRequiredPluginsResponse{Plugins: plugins}, nil
}

func (h *nodeLanguageHost) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	opts := parseOptions(req.GetInfo().GetOptions())
	node, err := nodeBinary()
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	dir := programDir(req.Info, req.Pwd)
	runPath, err := resolveModule(node, dir, "@pulumi/pulumi/cmd/run")
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}

	args := append([]string{}, opts.nodeargs...)
	args = append(args, runPath)
	add := func(k, v string) {
		if v != "" {
			args = append(args, "--"+k, v)
		}
	}
	add("monitor", req.MonitorAddress)
	add("engine", h.engineAddress)
	add("organization", req.Organization)
	add("project", req.Project)
	add("stack", req.Stack)
	add("pwd", dir)
	if req.Info != nil {
		add("root-directory", req.Info.RootDirectory)
	}
	if req.DryRun {
		args = append(args, "--dry-run")
	}
	if req.Parallel > 0 {
		add("parallel", fmt.Sprint(req.Parallel))
	}
	add("tracing", h.tracing)
	entry := "."
	if req.Info != nil && req.Info.EntryPoint != "" {
		entry = req.Info.EntryPoint
	} else if req.Program != "" { //nolint:staticcheck // older engines
		entry = req.Program //nolint:staticcheck
	}
	args = append(args, entry)
	args = append(args, req.Args...)

	config, err := json.Marshal(req.Config)
	if err != nil {
		return nil, err
	}
	secretKeys := req.ConfigSecretKeys
	if secretKeys == nil {
		secretKeys = []string{}
	}
	secretKeysJSON, err := json.Marshal(secretKeys)
	if err != nil {
		return nil, err
	}
	env := append(os.Environ(),
		"PULUMI_CONFIG="+string(config),
		"PULUMI_CONFIG_SECRET_KEYS="+string(secretKeysJSON),
		fmt.Sprintf("PULUMI_NODEJS_TYPESCRIPT=%t", opts.typescript),
	)
	if opts.tsconfig != "" {
		env = append(env, "PULUMI_NODEJS_TSCONFIG_PATH="+opts.tsconfig)
	}

	cmd := exec.CommandContext(ctx, node, args...)
	cmd.Dir = dir
	cmd.Env = env
	cmd.Stdout = os.Stdout
	cmd.Stderr = os.Stderr
	if err := children.run(cmd); err != nil {
		if code, ok := exitCode(err); ok {
			if code == nodeExitedAfterLoggingUserActionableMessage {
				return &pulumirpc.RunResponse{Bail: true}, nil
			}
			return &pulumirpc.RunResponse{
				Error: fmt.Sprintf("Program exited with non-zero exit code: %d", code),
			}, nil
		}
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("Program exited unexpectedly: %v", err)}, nil
	}
	return &pulumirpc.RunResponse{}, nil
}

// streamWriter forwards output to a gRPC stream as it arrives.
type streamWriter struct {
	mu   *sync.Mutex
	send func([]byte) error
}

func (w streamWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	buf := append([]byte(nil), p...)
	if err := w.send(buf); err != nil {
		return 0, err
	}
	return len(p), nil
}

func detectPackageManager(dir, configured string) []string {
	if configured != "" && configured != "auto" {
		return []string{configured, "install"}
	}
	for d := dir; ; d = filepath.Dir(d) {
		switch {
		case fileExists(filepath.Join(d, "pnpm-lock.yaml")):
			return []string{"pnpm", "install"}
		case fileExists(filepath.Join(d, "yarn.lock")):
			return []string{"yarn", "install"}
		case fileExists(filepath.Join(d, "bun.lockb")), fileExists(filepath.Join(d, "bun.lock")):
			return []string{"bun", "install"}
		case fileExists(filepath.Join(d, "package-lock.json")):
			return []string{"npm", "install"}
		}
		if filepath.Dir(d) == d {
			return []string{"npm", "install"}
		}
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func (h *nodeLanguageHost) InstallDependencies(
	req *pulumirpc.InstallDependenciesRequest, server grpc.ServerStreamingServer[pulumirpc.InstallDependenciesResponse],
) error {
	dir := programDir(req.Info, req.Directory) //nolint:staticcheck
	opts := parseOptions(req.GetInfo().GetOptions())
	pm := detectPackageManager(dir, opts.packagemanager)
	mu := &sync.Mutex{}
	stdout := streamWriter{mu, func(b []byte) error {
		return server.Send(&pulumirpc.InstallDependenciesResponse{Stdout: b})
	}}
	stderr := streamWriter{mu, func(b []byte) error {
		return server.Send(&pulumirpc.InstallDependenciesResponse{Stderr: b})
	}}
	fmt.Fprintf(stdout, "Installing dependencies with %s...\n\n", strings.Join(pm, " "))
	cmd := exec.CommandContext(server.Context(), pm[0], pm[1:]...)
	cmd.Dir = dir
	cmd.Stdout = stdout
	cmd.Stderr = stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("`%s` failed in %s: %w", strings.Join(pm, " "), dir, err)
	}
	fmt.Fprintf(stdout, "Finished installing dependencies\n\n")
	return nil
}

func (h *nodeLanguageHost) About(ctx context.Context, _ *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	node, err := nodeBinary()
	if err != nil {
		return nil, err
	}
	out, err := exec.CommandContext(ctx, node, "--version").Output()
	if err != nil {
		return nil, fmt.Errorf("failed to get node version: %w", err)
	}
	return &pulumirpc.AboutResponse{
		Executable: node,
		Version:    strings.TrimPrefix(strings.TrimSpace(string(out)), "v"),
	}, nil
}

func (h *nodeLanguageHost) GetProgramDependencies(
	_ context.Context, req *pulumirpc.GetProgramDependenciesRequest,
) (*pulumirpc.GetProgramDependenciesResponse, error) {
	dir := programDir(req.Info, req.Pwd) //nolint:staticcheck
	p, err := readPkgJSON(filepath.Join(dir, "package.json"))
	if err != nil {
		return nil, fmt.Errorf("could not read package.json in %s: %w", dir, err)
	}
	names := map[string]bool{}
	for n := range p.Dependencies {
		names[n] = true
	}
	if req.TransitiveDependencies {
		for n := range p.DevDependencies {
			names[n] = true
		}
	}
	var deps []*pulumirpc.DependencyInfo
	for n := range names {
		version := ""
		for _, nm := range nodeModulesDirs(req.Info) {
			if dp, err := readPkgJSON(filepath.Join(nm, n, "package.json")); err == nil {
				version = dp.Version
				break
			}
		}
		if version == "" {
			version = p.Dependencies[n]
		}
		deps = append(deps, &pulumirpc.DependencyInfo{Name: n, Version: version})
	}
	sort.Slice(deps, func(i, j int) bool { return deps[i].Name < deps[j].Name })
	return &pulumirpc.GetProgramDependenciesResponse{Dependencies: deps}, nil
}

// RunPlugin runs a plugin (a policy pack, or a resource provider) written in Node.js.
func (h *nodeLanguageHost) RunPlugin(
	req *pulumirpc.RunPluginRequest, server grpc.ServerStreamingServer[pulumirpc.RunPluginResponse],
) error {
	opts := parseOptions(req.GetInfo().GetOptions())
	node, err := nodeBinary()
	if err != nil {
		return err
	}
	dir := programDir(req.Info, req.Program)
	var args []string
	args = append(args, opts.nodeargs...)
	switch req.Kind {
	case "analyzer":
		script, err := resolveModule(node, dir, "@pulumi/pulumi/cmd/run-policy-pack")
		if err != nil {
			return err
		}
		// run-policy-pack expects: <engine-address> <program>
		args = append(args, script)
		args = append(args, req.Args...)
		args = append(args, dir)
	default:
		script, err := resolveModule(node, dir, "@pulumi/pulumi/cmd/run-plugin")
		if err != nil {
			return err
		}
		// run-plugin expects: <program> [args...]
		args = append(args, script, dir)
		args = append(args, req.Args...)
	}

	cmd := exec.CommandContext(server.Context(), node, args...)
	cmd.Dir = dir
	if req.Pwd != "" {
		cmd.Dir = req.Pwd
	}
	env := req.Env
	if len(env) == 0 {
		env = os.Environ()
	}
	cmd.Env = append(env, fmt.Sprintf("PULUMI_NODEJS_TYPESCRIPT=%t", opts.typescript))
	if opts.tsconfig != "" {
		cmd.Env = append(cmd.Env, "PULUMI_NODEJS_TSCONFIG_PATH="+opts.tsconfig)
	}
	mu := &sync.Mutex{}
	cmd.Stdout = streamWriter{mu, func(b []byte) error {
		return server.Send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stdout{Stdout: b}})
	}}
	cmd.Stderr = streamWriter{mu, func(b []byte) error {
		return server.Send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stderr{Stderr: b}})
	}}
	code := int32(0)
	if err := children.run(cmd); err != nil {
		c, ok := exitCode(err)
		if !ok {
			return err
		}
		code = int32(c)
	}
	return server.Send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Exitcode{Exitcode: code}})
}

func (h *nodeLanguageHost) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}

// Every other RPC is answered Unimplemented by the embedded UnimplementedLanguageRuntimeServer,
// which the engine handles for the optional ones.
