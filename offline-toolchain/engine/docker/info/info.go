// Package info maps the upstream Terraform Docker provider onto the Pulumi tokens and
// property names that the @pulumi/docker Node.js SDK sends.
package info

import (
	"context"

	pftfbridge "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	tks "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge/tokens"
	shimv2 "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfshim/sdk-v2"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/terraform-providers/terraform-provider-docker/shim"
)

const pkgName = "docker"

func res(name string) tokens.Type {
	return tokens.Type(pkgName + ":index/" + lowerFirst(name) + ":" + name)
}

func fn(name string) tokens.ModuleMember {
	return tokens.ModuleMember(pkgName + ":index/" + lowerFirst(name) + ":" + name)
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	b := []byte(s)
	if b[0] >= 'A' && b[0] <= 'Z' {
		b[0] += 'a' - 'A'
	}
	return string(b)
}

// Provider returns the bridge configuration. metadata is the bridge-metadata.json produced by
// tfgen (nil while running tfgen itself).
func Provider(version string, metadata []byte) tfbridge.ProviderInfo {
	ctx := context.Background()
	p := pftfbridge.MuxShimWithPF(ctx,
		shimv2.NewProvider(shim.SDKProvider(version)),
		shim.FrameworkProvider(version))

	prov := tfbridge.ProviderInfo{
		P:            p,
		Name:         pkgName,
		Version:      version,
		Description:  "A Pulumi package for interacting with Docker in Pulumi programs",
		License:      "Apache-2.0",
		Repository:   "https://github.com/pulumi/pulumi-docker",
		MetadataInfo: tfbridge.NewProviderMetadata(metadata),
		Config: map[string]*tfbridge.SchemaInfo{
			"host": {
				Default: &tfbridge.DefaultInfo{
					Value:   "unix:///var/run/docker.sock",
					EnvVars: []string{"DOCKER_HOST"},
				},
			},
			"registry_auth": {
				Name:        "registryAuth",
				MaxItemsOne: tfbridge.False(),
			},
		},
		Resources: map[string]*tfbridge.ResourceInfo{
			"docker_config": {Tok: res("ServiceConfig")},
			"docker_container": {
				Tok: res("Container"),
				Fields: map[string]*tfbridge.SchemaInfo{
					"command":           {Name: "command"},
					"networks_advanced": {Name: "networksAdvanced"},
				},
			},
			"docker_image": {
				Tok:    res("RemoteImage"),
				Fields: map[string]*tfbridge.SchemaInfo{"name": {Name: "name"}},
			},
			"docker_network":        {Tok: res("Network")},
			"docker_secret":         {Tok: res("Secret")},
			"docker_service":        {Tok: res("Service")},
			"docker_volume":         {Tok: res("Volume")},
			"docker_registry_image": {Tok: res("RegistryImage")},
			"docker_plugin":         {Tok: res("Plugin")},
			"docker_tag":            {Tok: res("Tag")},
			"docker_buildx_builder": {Tok: res("BuildxBuilder")},
		},
		DataSources: map[string]*tfbridge.DataSourceInfo{
			"docker_network":                  {Tok: fn("getNetwork")},
			"docker_registry_image":           {Tok: fn("getRegistryImage")},
			"docker_registry_image_manifests": {Tok: fn("getRegistryImageManifests")},
			"docker_plugin":                   {Tok: fn("getPlugin")},
			"docker_image":                    {Tok: fn("getRemoteImage")},
			"docker_logs":                     {Tok: fn("getLogs")},
		},
	}

	// Anything upstream has that the explicit table above lacks gets a standard token.
	prov.MustComputeTokens(tks.SingleModule("docker_", "index", tks.MakeStandard(pkgName)))
	prov.SetAutonaming(255, "-")
	return prov
}
