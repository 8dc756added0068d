/** @type {import('jest').Config} */
module.exports = {
    preset: "ts-jest",
    testEnvironment: "node",
    roots: ["<rootDir>/tests"],
    testPathIgnorePatterns: ["/node_modules/", "/tests/integration/"],
    testMatch: ["**/*.test.ts"],
    testTimeout: 60000,
    setupFiles: ["<rootDir>/tests/helpers/setup.ts"],
};
