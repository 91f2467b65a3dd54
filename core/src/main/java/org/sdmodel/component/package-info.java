/**
 * The parts of a checkpoint: extracting a VAE, UNet or text encoder in the layout standalone
 * files of that kind have, baking a VAE in as the web UI does ({@link
 * org.sdmodel.component.VaeFile}), repairing CLIP's {@code position_ids}.
 */
package org.sdmodel.component;
