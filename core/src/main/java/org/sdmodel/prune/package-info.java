/**
 * Pruning a checkpoint: what to keep, drop and convert ({@link org.sdmodel.prune.PruneOptions}),
 * decided as a {@link org.sdmodel.prune.PrunePlan} that {@link org.sdmodel.engine.ModelWriter}
 * writes.
 */
package org.sdmodel.prune;
