/**
 * The AUTOMATIC1111 web UI's Checkpoint Merger, rule for rule: {@link
 * org.sdmodel.merge.MergePlanner} plans the merge, {@link org.sdmodel.engine.ModelWriter} writes
 * it; {@link org.sdmodel.merge.WebUiStateDict} reads a checkpoint as the web UI reads it.
 */
package org.sdmodel.merge;
