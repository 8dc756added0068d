/** The real-engine test: real Pulumi CLI and Docker provider against a Docker engine it starts. */
/** @type {import('jest').Config} */
module.exports = {
    preset: "ts-jest",
    testEnvironment: "node",
    roots: ["<rootDir>/tests/integration"],
    testMatch: ["**/*.int.test.ts"],
    testTimeout: 20 * 60 * 1000,
    maxWorkers: 1,
};
