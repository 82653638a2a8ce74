// The loader this test process runs TypeScript with (tsx, set in .taprc), for child processes
// that run a .ts fixture: a child started without it cannot load the fixture.
export const tsLoaderArgs: string[] = process.execArgv.filter((a) => a.startsWith('--import=') && /tsx|typescript/.test(a));
