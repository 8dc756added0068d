/**
 * The real-engine tests: the real Pulumi CLI with the Docker provider against Docker engines they
 * start, and with the Kubernetes provider against a Kubernetes API server they start (kubernetes.int.test.ts).
 */
/** @type {import('jest').Config} */
module.exports = {
    preset: "ts-jest",
    testEnvironment: "node",
    roots: ["<rootDir>/tests/integration"],
    testMatch: ["**/*.int.test.ts"],
    testTimeout: 20 * 60 * 1000,
    maxWorkers: 1,
};
