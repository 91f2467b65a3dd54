/**
 * The engine every writing command shares: a {@link org.sdmodel.engine.TensorPlan} (what the
 * output holds, each tensor an {@link org.sdmodel.engine.Expr} over source tensors, decided by a
 * planner) written by {@link org.sdmodel.engine.ModelWriter} chunk by chunk, atomically,
 * self-checked, optionally verified and compressed.
 */
package org.sdmodel.engine;
