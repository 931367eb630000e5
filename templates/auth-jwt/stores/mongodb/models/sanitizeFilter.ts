import mongoose, { type Schema } from 'mongoose';

const FILTERED_QUERIES = [
  'countDocuments',
  'deleteMany',
  'deleteOne',
  'find',
  'findOne',
  'findOneAndDelete',
  'findOneAndReplace',
  'findOneAndUpdate',
  'replaceOne',
  'updateMany',
  'updateOne',
] as const;

/**
 * Turns `{ email: { $gt: '' } }` from a request into a harmless `$eq` match on this schema's
 * queries. Done per schema rather than with `mongoose.set('sanitizeFilter', true)`, which
 * would also rewrite every `$gt`/`$in` query of the rest of the app, and by calling the
 * sanitizer on the filter itself, because the per-query option loses to an app-wide
 * `mongoose.set('sanitizeFilter', false)`. Operators we write ourselves are wrapped in
 * `mongoose.trusted()`.
 */
export function sanitizeQueryFilters(schema: Schema): void {
  schema.pre([...FILTERED_QUERIES], function () {
    mongoose.sanitizeFilter(this.getFilter());
  });
}
