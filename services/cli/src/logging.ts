// The CLI's logger, apart from the adapters' wiring so that a command that wires none loads none.
import { pino } from 'pino';
import { PinoPretty } from 'pino-pretty';
import type { Logger } from 'pino';
import type { ServiceConfig } from '../../../libs/config/src/index.js';

/** The CLI logs JSON to stderr (stdout carries the command's result). */
export function cliLogger(config: Readonly<ServiceConfig>, name = 'taxi-cli'): Logger {
  return logger(config.log, name);
}

/**
 * pino to stderr: JSON lines, or pretty lines on a terminal (log.format auto) or when asked.
 * Synchronous: a CLI exits right after its last line, and an async destination would drop it.
 */
export function logger(log: Readonly<ServiceConfig['log']>, name: string): Logger {
  const options = { level: log.level, base: { service: name } };
  const pretty = log.format === 'pretty' || (log.format === 'auto' && process.stderr.isTTY);
  if (!pretty) return pino(options, pino.destination({ fd: 2, sync: true }));
  return pino(options, PinoPretty({ destination: 2, sync: true, colorize: process.stderr.isTTY, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,service' }));
}
