/**
 * V8 settings for the worker threads, imported first by the task entry.
 *
 * On-stack replacement is turned off: when V8 compiled the kernel's draw loop through OSR (a long
 * first call before its regular optimised code was installed by the concurrent compiler), later
 * calls kept running the slower OSR code: the article's workload ran at 83–115M deviates/s per
 * thread in about a third of the runs instead of 170–185M. With OSR off, 12 of 12 runs measured
 * 176–184M. The flag is process-wide; the coordinator's own loops are short or run in builtins.
 */
import v8 from 'node:v8';

v8.setFlagsFromString('--no-use-osr');
