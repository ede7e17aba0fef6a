// Generates layers_a_tfjs.json: small TensorFlow.js 4.22 models exercising
// the core/conv/pooling/normalization/merge/activation layers that the
// shared fixtures do not cover, with deterministic weights and inputs, and
// the outputs TF.js computes (cpu backend).
//
//   npm install @tensorflow/tfjs-core@4.22.0 @tensorflow/tfjs-layers@4.22.0 @tensorflow/tfjs-backend-cpu@4.22.0
//   node gen_layers_a_tfjs.js > layers_a_tfjs.json
const tf = require('@tensorflow/tfjs-core');
require('@tensorflow/tfjs-backend-cpu');
const tfl = require('@tensorflow/tfjs-layers');

function det(n, seed, scale) {
  const out = new Float32Array(n);
  for (let k = 0; k < n; k++) out[k] = Math.sin(k * 0.37 + seed * 1.3 + 0.1) * scale;
  return out;
}

function fillWeights(model) {
  let seed = 1;
  for (const layer of model.layers) {
    const ws = layer.getWeights();
    if (ws.length === 0) continue;
    const vals = layer.weights.map((w, i) => {
      const n = w.shape.reduce((a, b) => a * b, 1);
      let v = det(n, seed++, 0.5);
      if (w.originalName.endsWith('moving_variance')) v = v.map((x) => 0.5 + Math.abs(x));
      if (w.originalName.endsWith('gamma')) v = v.map((x) => 1 + 0.6 * x);
      return tf.tensor(v, w.shape);
    });
    layer.setWeights(vals);
  }
}

async function capture(name, model) {
  fillWeights(model);
  let artifacts;
  await model.save(tf.io.withSaveHandler(async (a) => { artifacts = a; return {modelArtifactsInfo: {dateSaved: new Date(), modelTopologyType: 'JSON'}}; }));
  const inputs = model.inputs.map((inp, i) => {
    const shape = inp.shape.map((d) => (d == null ? 2 : d));
    const n = shape.reduce((a, b) => a * b, 1);
    return tf.tensor(det(n, 100 + i, 1.5), shape);
  });
  let outs = model.predict(inputs.length === 1 ? inputs[0] : inputs);
  if (!Array.isArray(outs)) outs = [outs];
  return {
    name,
    modelTopology: artifacts.modelTopology,
    weightSpecs: artifacts.weightSpecs,
    weightData: Array.from(new Float32Array(artifacts.weightData)),
    inputs: inputs.map((t) => ({shape: t.shape, data: Array.from(t.dataSync())})),
    outputs: outs.map((t) => ({shape: t.shape, data: Array.from(t.dataSync())})),
  };
}

function seq(name, inputShape, layers) {
  const m = tfl.sequential({name});
  layers.forEach((l, i) => m.add(i === 0 ? l(inputShape) : l()));
  return m;
}
// Layer factory helpers: the first layer gets inputShape.
const L = (ctor, args) => (inputShape) => ctor(inputShape ? {...args, inputShape} : args);

async function main() {
  const cases = [];
  const push = async (name, m) => cases.push(await capture(name, m));

  await push('conv2d_variants', seq('conv2d_variants', [9, 8, 3], [
    L(tfl.layers.conv2d, {name: 'c_dil', filters: 4, kernelSize: 3, padding: 'same', dilationRate: 2, activation: 'relu'}),
    L(tfl.layers.conv2d, {name: 'c_s2', filters: 5, kernelSize: [3, 2], strides: 2, padding: 'valid'}),
    L(tfl.layers.conv2d, {name: 'c_same_s2', filters: 3, kernelSize: 2, strides: [2, 1], padding: 'same', useBias: false, activation: 'tanh'}),
  ]));
  await push('conv2d_channels_first', seq('conv2d_channels_first', [3, 7, 6], [
    L(tfl.layers.conv2d, {name: 'cf_conv', filters: 4, kernelSize: 3, padding: 'same', dataFormat: 'channelsFirst'}),
    L(tfl.layers.zeroPadding2d, {name: 'cf_pad', padding: [[1, 0], [0, 2]], dataFormat: 'channelsFirst'}),
    L(tfl.layers.maxPooling2d, {name: 'cf_pool', poolSize: 2, dataFormat: 'channelsFirst'}),
    // No BatchNormalization with axis 1 here: TF.js's cpu batchNorm kernel
    // indexes moving_mean/variance/gamma/beta by `element % C`, i.e. it
    // always normalizes along the LAST axis whatever `axis` says (a
    // data-losing TF.js bug; tfjs-layers does the Keras thing).
    L(tfl.layers.flatten, {name: 'cf_flat', dataFormat: 'channelsFirst'}),
  ]));
  await push('conv3d', seq('conv3d', [5, 6, 4, 2], [
    L(tfl.layers.conv3d, {name: 'c3', filters: 3, kernelSize: [2, 3, 2], padding: 'same', activation: 'relu'}),
    L(tfl.layers.conv3d, {name: 'c3_s2', filters: 2, kernelSize: 2, strides: 2, padding: 'valid'}),
  ]));
  await push('pool3d', seq('pool3d', [5, 6, 4, 3], [
    L(tfl.layers.maxPooling3d, {name: 'mp3', poolSize: [2, 3, 2], strides: [1, 2, 2], padding: 'same'}),
    L(tfl.layers.averagePooling3d, {name: 'ap3', poolSize: 2, strides: 2, padding: 'same'}),
  ]));
  await push('conv_transpose', seq('conv_transpose', [4, 5, 3], [
    L(tfl.layers.conv2dTranspose, {name: 't_valid', filters: 2, kernelSize: 3, strides: 2, padding: 'valid'}),
    L(tfl.layers.conv2dTranspose, {name: 't_same', filters: 3, kernelSize: [2, 3], strides: [2, 1], padding: 'same', activation: 'relu'}),
  ]));
  await push('conv3d_transpose', seq('conv3d_transpose', [3, 4, 2, 2], [
    L(tfl.layers.conv3dTranspose, {name: 't3_same', filters: 2, kernelSize: 3, strides: 2, padding: 'same'}),
    L(tfl.layers.conv3dTranspose, {name: 't3_valid', filters: 1, kernelSize: [2, 1, 2], strides: 1, padding: 'valid'}),
  ]));
  await push('depthwise_separable', seq('depthwise_separable', [8, 7, 3], [
    // No dilation on DepthwiseConv2D: TF.js 4.22's layer writes
    // dilation_rate but never passes it to the op (a data-losing bug; we
    // dilate as Keras does).
    L(tfl.layers.depthwiseConv2d, {name: 'dw3', kernelSize: 3, depthMultiplier: 3, padding: 'valid'}),
    L(tfl.layers.separableConv2d, {name: 'sep_dil', filters: 5, kernelSize: 2, padding: 'same', dilationRate: 2}),
    L(tfl.layers.separableConv2d, {name: 'sep', filters: 4, kernelSize: 2, padding: 'same', strides: 2, activation: 'relu'}),
  ]));
  await push('pool_1d_2d', seq('pool_1d_2d', [9, 4], [
    L(tfl.layers.maxPooling1d, {name: 'mp1', poolSize: 3, strides: 2, padding: 'same'}),
    L(tfl.layers.averagePooling1d, {name: 'ap1', poolSize: 2, strides: 1, padding: 'same'}),
    L(tfl.layers.reshape, {name: 'rs', targetShape: [5, 2, -1]}),
    L(tfl.layers.averagePooling2d, {name: 'ap2', poolSize: 2, strides: 2, padding: 'same'}),
    L(tfl.layers.globalMaxPooling2d, {name: 'gmp2'}),
  ]));
  await push('shape_layers', seq('shape_layers', [4, 5, 2], [
    L(tfl.layers.upSampling2d, {name: 'up_bilinear', size: [2, 3], interpolation: 'bilinear'}),
    L(tfl.layers.cropping2D, {name: 'crop', cropping: [[1, 2], [3, 0]]}),
    L(tfl.layers.permute, {name: 'perm', dims: [3, 1, 2]}),
    L(tfl.layers.globalAveragePooling2d, {name: 'gap_cf', dataFormat: 'channelsFirst'}),
    L(tfl.layers.repeatVector, {name: 'rep', n: 3}),
    L(tfl.layers.dense, {name: 'dense3d', units: 4, activation: 'sigmoid'}),
    L(tfl.layers.globalAveragePooling1d, {name: 'gap1'}),
  ]));
  await push('norms_acts', seq('norms_acts', [3, 4, 5], [
    L(tfl.layers.layerNormalization, {name: 'ln_two', axis: [-2, -1]}),
    L(tfl.layers.layerNormalization, {name: 'ln_mid', axis: 1, epsilon: 0.01}),
    L(tfl.layers.batchNormalization, {name: 'bn_nc', axis: 3, center: false}),
    L(tfl.layers.batchNormalization, {name: 'bn_ns', scale: false, epsilon: 0.1}),
    L(tfl.layers.prelu, {name: 'prelu_shared', sharedAxes: [1, 2]}),
    L(tfl.layers.reLU, {name: 'relu_max', maxValue: 0.4}),
    L(tfl.layers.softmax, {name: 'softmax_last', axis: 3}),
  ]));
  await push('activations', seq('activations', [6], [
    L(tfl.layers.leakyReLU, {name: 'leaky', alpha: 0.1}),
    L(tfl.layers.thresholdedReLU, {name: 'thr', theta: 0.3}),
    L(tfl.layers.dense, {name: 'd', units: 5}),
    L(tfl.layers.elu, {name: 'elu'}),
    L(tfl.layers.activation, {name: 'act', activation: 'hardSigmoid'}),
    L(tfl.layers.softmax, {name: 'sm'}),
  ]));
  {
    const a = tfl.input({shape: [3, 4], name: 'a'});
    const b = tfl.input({shape: [3, 4], name: 'b'});
    const c = tfl.input({shape: [4], name: 'c'});
    const avg = tfl.layers.average({name: 'avg'}).apply([a, b]);
    const mx = tfl.layers.maximum({name: 'mx'}).apply([a, b, avg]);
    const mn = tfl.layers.minimum({name: 'mn'}).apply([a, b]);
    const mul = tfl.layers.multiply({name: 'mul_bcast'}).apply([mx, c]);
    const add = tfl.layers.add({name: 'add_bcast'}).apply([mn, c]);
    const cat = tfl.layers.concatenate({name: 'cat1', axis: 1}).apply([mul, add]);
    const dot = tfl.layers.dot({name: 'dot22', axes: [2, 2]}).apply([cat, a]);
    const dotn = tfl.layers.dot({name: 'dot_norm', axes: 1, normalize: true}).apply([c, c]);
    const dot11 = tfl.layers.dot({name: 'dot11', axes: [1, 1]}).apply([a, b]);
    const m = tfl.model({inputs: [a, b, c], outputs: [dot, dotn, dot11], name: 'merges'});
    await push('merges', m);
  }
  process.stdout.write(JSON.stringify({producedBy: 'TensorFlow.js ' + tf.version_core + ' (tfjs-layers ' + tfl.version_layers + '), cpu backend, gen_layers_a_tfjs.js', cases}));
}
main().catch((e) => { console.error(e); process.exit(1); });
