/**
 * Writing files safely: {@link org.sdmodel.io.AtomicOutput}, an output that appears under its
 * name only when complete, {@link org.sdmodel.io.TemporaryFile} and the free-space checks.
 */
package org.sdmodel.io;
