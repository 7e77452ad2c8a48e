//go:build tools

// Package tools pins the command this recipe builds.
package tools

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
