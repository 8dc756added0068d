// Each program load under mocks imports a fresh @pulumi/pulumi, which adds its own exit listeners.
process.setMaxListeners(100);
