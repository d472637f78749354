// Body parsers with explicit size limits. JSON everywhere; YAML (as text) where a route
// imports documents. A larger body is refused with 413 in the error envelope.
import express, { type RequestHandler } from 'express';
import { HttpError } from '../../common/errors.js';
import { nestedDeeperThan, TOO_DEEP_MESSAGE } from './nesting.js';
import { findUnstorableText, UNSTORABLE_TEXT_MESSAGE } from './text.js';

export const JSON_LIMIT = '256kb';
export const IMPORT_LIMIT = '5mb';

const MAY_HOLD_UNSTORABLE = Symbol('body may hold unstorable text');

/**
 * JSON bodies, refused with 400 VALIDATION_FAILED when they nest deeper than
 * MAX_JSON_DEPTH, and with 400 INVALID_TEXT (naming the field) when a string holds text
 * PostgreSQL cannot store (U+0000 and unpaired surrogates arrive only as \u escapes in
 * JSON, so that walk runs only for bodies that contain one).
 */
export const jsonBody = (limit = JSON_LIMIT): RequestHandler[] => [
  express.json({
    limit,
    type: ['application/json', 'application/*+json'],
    strict: true,
    verify: (req, _res, buf) => {
      if (buf.includes('\\u')) (req as unknown as Record<symbol, boolean>)[MAY_HOLD_UNSTORABLE] = true;
    },
  }),
  (req, _res, next) => {
    if (nestedDeeperThan(req.body))
      return next(
        new HttpError(400, 'VALIDATION_FAILED', `the request body ${TOO_DEEP_MESSAGE}`, [
          { in: 'body', path: '', code: 'too_deep', message: TOO_DEEP_MESSAGE },
        ]),
      );
    if (!(req as unknown as Record<symbol, boolean>)[MAY_HOLD_UNSTORABLE]) return next();
    const path = findUnstorableText(req.body);
    if (path === undefined) return next();
    next(
      new HttpError(400, 'INVALID_TEXT', `${path} ${UNSTORABLE_TEXT_MESSAGE}`, [
        { in: 'body', path, code: 'invalid_text', message: UNSTORABLE_TEXT_MESSAGE },
      ]),
    );
  },
];

export const YAML_TYPES = [
  'application/yaml',
  'application/x-yaml',
  'text/yaml',
  'text/x-yaml',
  'text/plain',
];

/** JSON or YAML documents (YAML arrives as a string in req.body). */
export const documentBody = (limit = IMPORT_LIMIT): RequestHandler[] => [
  ...jsonBody(limit),
  express.text({ limit, type: YAML_TYPES }),
];
