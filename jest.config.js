/** @type {import('jest').Config} */
module.exports = {
    preset: "ts-jest",
    testEnvironment: "node",
    roots: ["<rootDir>/tests"],
    testPathIgnorePatterns: ["/node_modules/", "/tests/integration/"],
    testMatch: ["**/*.test.ts"],
    testTimeout: 60000,
    setupFiles: ["<rootDir>/tests/helpers/setup.ts"],
    // Each file loads the program under mocks in fresh module registries; in one long-lived process
    // that memory adds up (past 20 GB for the whole suite). Workers are recycled past 1 GB instead.
    maxWorkers: 2,
    workerIdleMemoryLimit: "1GB",
};
