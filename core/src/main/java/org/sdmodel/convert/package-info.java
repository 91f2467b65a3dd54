/**
 * Precision conversion of tensor data, bit for bit as PyTorch does it on the CPU: the scalar
 * conversions ({@link org.sdmodel.convert.FloatBits}), the bulk kernel that {@code prune} streams
 * tensors through ({@link org.sdmodel.convert.ElementConverter}), the counts of values that a
 * conversion lost ({@link org.sdmodel.convert.ConversionStats}), and the choice of target type
 * ({@link org.sdmodel.convert.Precision}).
 */
package org.sdmodel.convert;
