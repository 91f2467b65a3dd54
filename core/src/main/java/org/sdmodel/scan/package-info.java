/**
 * Whether a model file is safe to load with Python's {@code pickle} ({@code torch.load} without
 * {@code weights_only}): {@link org.sdmodel.scan.ModelScanner} lists every import each pickle of
 * the file makes, classified by {@link org.sdmodel.pickle.ImportSafety}, and {@link
 * org.sdmodel.scan.ScanReport} says what was found. Nothing is executed and no tensor is read.
 */
package org.sdmodel.scan;
