package dev.spanlinks.streams;

/**
 * A batch on its way out of a DSL {@code process} node, told apart from the late records beside it
 * by this type, which no user's record can have ({@link LinkedWindows#link}).
 */
record EmittedBatch(LinkedBatch batch) {}
