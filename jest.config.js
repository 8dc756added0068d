/** @type {import('jest').Config} */
module.exports = {
    testEnvironment: "node",
    // Transpile only (ts.transpileModule, file by file). ts-jest's default language service parsed
    // every module and declaration file a test reaches, once per worker, only to report nothing:
    // tsconfig.json's noCheck already kept it from type checking. The type check is
    // `tsc --noEmit -p tsconfig.check.json`, run before jest by scripts/test.sh.
    transform: { "^.+\\.ts$": ["ts-jest", { tsconfig: { isolatedModules: true } }] },
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
