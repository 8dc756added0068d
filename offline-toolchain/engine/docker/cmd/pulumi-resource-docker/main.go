// Runtime Docker resource provider (bridged from the upstream Terraform provider).
package main

import (
	"context"
	_ "embed"

	pftfbridge "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfbridge"

	"homelab.invalid/engine/docker/info"
)

// Version is set with -ldflags "-X main.Version=...".
var Version = "0.0.0"

//go:embed schema.json
var schema []byte

//go:embed bridge-metadata.json
var metadata []byte

func main() {
	pftfbridge.MainWithMuxer(context.Background(), "docker", info.Provider(Version, metadata), schema)
}
