/** The largest storage part number (part uploads, claims, per upload): S3's limit, the storage port's. */
export const MAX_PART_NUMBER = 10_000;
