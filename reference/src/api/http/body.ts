// Body parsers with explicit size limits. JSON everywhere; YAML (as text) where a route
// imports documents. A larger body is refused with 413 in the error envelope.
import express, { type RequestHandler } from 'express';

export const JSON_LIMIT = '256kb';
export const IMPORT_LIMIT = '5mb';

export const jsonBody = (limit = JSON_LIMIT): RequestHandler =>
  express.json({ limit, type: ['application/json', 'application/*+json'], strict: true });

export const YAML_TYPES = [
  'application/yaml',
  'application/x-yaml',
  'text/yaml',
  'text/x-yaml',
  'text/plain',
];

/** JSON or YAML documents (YAML arrives as a string in req.body). */
export const documentBody = (limit = IMPORT_LIMIT): RequestHandler[] => [
  jsonBody(limit),
  express.text({ limit, type: YAML_TYPES }),
];
