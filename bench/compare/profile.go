package main

import "context"

func profileCommand(ctx context.Context, args []string) error { return nil }
