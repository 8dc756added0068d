// Package shim exposes the upstream Terraform Docker provider (whose
// implementation lives in an `internal` package) to the bridge.
//
// It is compiled as module github.com/terraform-providers/terraform-provider-docker/shim
// (see offline-toolchain/engine/build.sh), i.e. inside the upstream module's import path
// tree, which is what Go's `internal` visibility rule requires.
package shim

import (
	fwprovider "github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-sdk/v2/helper/schema"
	"github.com/terraform-providers/terraform-provider-docker/internal/provider"
)

// SDKProvider returns the SDKv2 half of the upstream provider.
func SDKProvider(version string) *schema.Provider { return provider.New(version)() }

// FrameworkProvider returns the plugin-framework half of the upstream provider.
func FrameworkProvider(version string) fwprovider.Provider {
	return provider.NewFrameworkProvider(version)()
}
