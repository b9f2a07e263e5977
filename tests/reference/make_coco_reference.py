#!/usr/bin/python3
"""Writes tests/reference/coco_eval.json: COCO ground truth and results files (fixed seeds) and the 12
summary numbers pycocotools' COCOeval gives them for boxes.

The oracle is the real pycocotools (cocodataset/cocoapi at 8c9bcc3, from ../shared/reference, built
into build/pycocotools by its build_pycocotools.sh): each case records which oracle made its numbers.
`coco_eval` below is a port of its cocoeval.py (with maskApi.c's bbIou) written from the published
source, kept to its structure so the two can be read side by side, and kept as the teaching copy: here
it is checked equal to the real one on every case (and used alone, said so per case, where
../shared/reference is absent, or where the real one cannot answer: an empty results list crashes its
loadRes). The port: _prepare (ground truth grouped by image and category in file order, crowds
ignored), computeIoU (by decreasing score, mergesort, at most maxDets[-1]; a crowd's IoU is the
intersection over the detection's area), evaluateImg (ignored ground truth sorted last, the greedy
match per IoU threshold), accumulate (the images' detections pooled by mergesort on score, precision
made monotone, read at 101 recall points with searchsorted) and summarize. loadRes gives each
detection id i + 1, area w * h and iscrowd 0. Besides the random sets, the cases hold crowd regions,
more than 100 detections of a class in an image, tied scores, images without objects, a category
without ground truth, areas exactly 32² and 96², seeded sets of decimal boxes built to sit on exact
ties (IoU exactly 0.5 and 0.75, areas exactly 32² and 96², where computing from corners instead of
[x, y, w, h] moves the answer), negative and zero image ids, and two files differing only in extension.
Run with Debian's python3-numpy:  make reference
(bench/coco_eval_speed.py times the port beside `rcnn eval --metric coco`.)
"""
import contextlib
import copy
import io
import json
import os
import subprocess
import sys
from collections import defaultdict

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))

IOU_THRS = np.linspace(.5, 0.95, int(np.round((0.95 - .5) / .05)) + 1, endpoint=True)
REC_THRS = np.linspace(.0, 1.00, int(np.round((1.00 - .0) / .01)) + 1, endpoint=True)
MAX_DETS = [1, 10, 100]
AREA_RNG = [[0 ** 2, 1e5 ** 2], [0 ** 2, 32 ** 2], [32 ** 2, 96 ** 2], [96 ** 2, 1e5 ** 2]]
AREA_LBL = ['all', 'small', 'medium', 'large']


def bb_iou(dt, gt, iscrowd):
    """maskApi.c bbIou: boxes [x, y, w, h]; returns len(dt) x len(gt)."""
    if len(dt) == 0 or len(gt) == 0:
        return []
    o = np.zeros((len(dt), len(gt)))
    for g, G in enumerate(gt):
        ga = G[2] * G[3]
        for d, D in enumerate(dt):
            da = D[2] * D[3]
            w = min(D[2] + D[0], G[2] + G[0]) - max(D[0], G[0])
            if w <= 0:
                continue
            h = min(D[3] + D[1], G[3] + G[1]) - max(D[1], G[1])
            if h <= 0:
                continue
            i = w * h
            u = da if iscrowd[g] else da + ga - i
            o[d, g] = i / u
    return o


def coco_eval(dataset, results):
    """dataset: COCO ground truth dict; results: list of {image_id, category_id, bbox, score}."""
    img_ids = sorted(img['id'] for img in dataset['images'])
    cat_ids = sorted(c['id'] for c in dataset['categories'])
    known = set(img_ids)
    assert all(r['image_id'] in known for r in results), 'Results do not correspond to current coco set'
    dts_all = []
    for i, r in enumerate(results):  # loadRes
        r = dict(r)
        bb = r['bbox']
        r['area'] = bb[2] * bb[3]
        r['id'] = i + 1
        r['iscrowd'] = 0
        dts_all.append(r)
    # _prepare: getAnnIds(imgIds, catIds) lists annotations image by image (imgToAnns, file order).
    def by_image(anns):
        index = defaultdict(list)
        for a in anns:
            index[a['image_id']].append(a)
        return [a for i in img_ids for a in index[i] if a['category_id'] in set(cat_ids)]
    gts = [dict(g) for g in by_image(dataset['annotations'])]
    dts = by_image(dts_all)
    for gt in gts:
        gt['ignore'] = 'iscrowd' in gt and gt['iscrowd']
    _gts, _dts = defaultdict(list), defaultdict(list)
    for gt in gts:
        _gts[gt['image_id'], gt['category_id']].append(gt)
    for dt in dts:
        _dts[dt['image_id'], dt['category_id']].append(dt)

    def compute_iou(img, cat):
        gt, dt = _gts[img, cat], _dts[img, cat]
        if len(gt) == 0 and len(dt) == 0:
            return []
        inds = np.argsort([-d['score'] for d in dt], kind='mergesort')
        dt = [dt[i] for i in inds]
        if len(dt) > MAX_DETS[-1]:
            dt = dt[0:MAX_DETS[-1]]
        return bb_iou([d['bbox'] for d in dt], [g['bbox'] for g in gt], [int(o['iscrowd']) for o in gt])

    ious = {(i, c): compute_iou(i, c) for i in img_ids for c in cat_ids}

    def evaluate_img(img, cat, a_rng, max_det):
        gt, dt = _gts[img, cat], _dts[img, cat]
        if len(gt) == 0 and len(dt) == 0:
            return None
        for g in gt:
            g['_ignore'] = 1 if (g['ignore'] or (g['area'] < a_rng[0] or g['area'] > a_rng[1])) else 0
        gtind = np.argsort([g['_ignore'] for g in gt], kind='mergesort')
        gt = [gt[i] for i in gtind]
        dtind = np.argsort([-d['score'] for d in dt], kind='mergesort')
        dt = [dt[i] for i in dtind[0:max_det]]
        iscrowd = [int(o['iscrowd']) for o in gt]
        iou_table = ious[img, cat][:, gtind] if len(ious[img, cat]) > 0 else ious[img, cat]
        T, G, D = len(IOU_THRS), len(gt), len(dt)
        gtm, dtm = np.zeros((T, G)), np.zeros((T, D))
        gt_ig = np.array([g['_ignore'] for g in gt])
        dt_ig = np.zeros((T, D))
        if not len(iou_table) == 0:
            for tind, t in enumerate(IOU_THRS):
                for dind, d in enumerate(dt):
                    iou = min([t, 1 - 1e-10])
                    m = -1
                    for gind, g in enumerate(gt):
                        if gtm[tind, gind] > 0 and not iscrowd[gind]:
                            continue
                        if m > -1 and gt_ig[m] == 0 and gt_ig[gind] == 1:
                            break
                        if iou_table[dind, gind] < iou:
                            continue
                        iou = iou_table[dind, gind]
                        m = gind
                    if m == -1:
                        continue
                    dt_ig[tind, dind] = gt_ig[m]
                    dtm[tind, dind] = gt[m]['id']
                    gtm[tind, m] = d['id']
        a = np.array([d['area'] < a_rng[0] or d['area'] > a_rng[1] for d in dt]).reshape((1, len(dt)))
        dt_ig = np.logical_or(dt_ig, np.logical_and(dtm == 0, np.repeat(a, T, 0)))
        return {'dtMatches': dtm, 'dtScores': [d['score'] for d in dt], 'gtIgnore': gt_ig, 'dtIgnore': dt_ig}

    eval_imgs = [evaluate_img(i, c, a, MAX_DETS[-1]) for c in cat_ids for a in AREA_RNG for i in img_ids]

    # accumulate
    T, R, K, A, M = len(IOU_THRS), len(REC_THRS), len(cat_ids), len(AREA_RNG), len(MAX_DETS)
    precision = -np.ones((T, R, K, A, M))
    recall = -np.ones((T, K, A, M))
    I0, A0 = len(img_ids), len(AREA_RNG)
    for k in range(K):
        for a in range(A):
            for m, max_det in enumerate(MAX_DETS):
                E = [eval_imgs[k * A0 * I0 + a * I0 + i] for i in range(I0)]
                E = [e for e in E if e is not None]
                if len(E) == 0:
                    continue
                dt_scores = np.concatenate([e['dtScores'][0:max_det] for e in E])
                inds = np.argsort(-dt_scores, kind='mergesort')
                dtm = np.concatenate([e['dtMatches'][:, 0:max_det] for e in E], axis=1)[:, inds]
                dt_ig = np.concatenate([e['dtIgnore'][:, 0:max_det] for e in E], axis=1)[:, inds]
                gt_ig = np.concatenate([e['gtIgnore'] for e in E])
                npig = np.count_nonzero(gt_ig == 0)
                if npig == 0:
                    continue
                tps = np.logical_and(dtm, np.logical_not(dt_ig))
                fps = np.logical_and(np.logical_not(dtm), np.logical_not(dt_ig))
                tp_sum = np.cumsum(tps, axis=1).astype(dtype=float)
                fp_sum = np.cumsum(fps, axis=1).astype(dtype=float)
                for t, (tp, fp) in enumerate(zip(tp_sum, fp_sum)):
                    tp, fp = np.array(tp), np.array(fp)
                    nd = len(tp)
                    rc = tp / npig
                    pr = tp / (fp + tp + np.spacing(1))
                    q = np.zeros((R,))
                    recall[t, k, a, m] = rc[-1] if nd else 0
                    pr, q = pr.tolist(), q.tolist()
                    for i in range(nd - 1, 0, -1):
                        if pr[i] > pr[i - 1]:
                            pr[i - 1] = pr[i]
                    inds = np.searchsorted(rc, REC_THRS, side='left')
                    try:
                        for ri, pi in enumerate(inds):
                            q[ri] = pr[pi]
                    except IndexError:
                        pass
                    precision[t, :, k, a, m] = np.array(q)

    # summarize
    def summarize(ap=1, iou_thr=None, area_rng='all', max_dets=100):
        aind = [i for i, lbl in enumerate(AREA_LBL) if lbl == area_rng]
        mind = [i for i, m in enumerate(MAX_DETS) if m == max_dets]
        if ap == 1:
            s = precision
            if iou_thr is not None:
                s = s[np.where(iou_thr == IOU_THRS)[0]]
            s = s[:, :, :, aind, mind]
        else:
            s = recall
            if iou_thr is not None:
                s = s[np.where(iou_thr == IOU_THRS)[0]]
            s = s[:, :, aind, mind]
        return -1 if len(s[s > -1]) == 0 else float(np.mean(s[s > -1]))

    return [summarize(1), summarize(1, iou_thr=.5), summarize(1, iou_thr=.75),
            summarize(1, area_rng='small'), summarize(1, area_rng='medium'), summarize(1, area_rng='large'),
            summarize(0, max_dets=1), summarize(0, max_dets=10), summarize(0, max_dets=100),
            summarize(0, area_rng='small'), summarize(0, area_rng='medium'), summarize(0, area_rng='large')]


def random_case(rng, n_images, n_dets):
    """Ground truth and results with what tests the edges: integer boxes (exact IoU ties), scores
    rounded to two decimals (ties), crowds, annotated areas apart from the boxes', objects of every size."""
    cats = sorted(rng.choice(np.arange(1, 30), size=rng.integers(1, 5), replace=False).tolist())
    images, annotations, results = [], [], []
    image_ids = sorted(rng.choice(np.arange(1, 10 * n_images + 10), size=n_images, replace=False).tolist())
    rng.shuffle(image_ids)  # the file's order is not the ids'
    for img in image_ids:
        W, H = int(rng.integers(64, 640)), int(rng.integers(64, 640))
        images.append({'id': img, 'file_name': '%d.jpg' % img, 'width': W, 'height': H})
        objects = []
        for _ in range(int(rng.integers(0, 7))):
            w = float(rng.choice([rng.integers(4, 40), rng.integers(30, 120), rng.uniform(2, W)]))
            h = float(rng.choice([rng.integers(4, 40), rng.integers(30, 120), rng.uniform(2, H)]))
            x, y = float(rng.integers(0, W)), float(rng.integers(0, H))
            if rng.random() < 0.3:
                x, y = round(x + rng.random(), 2), round(y + rng.random(), 2)
            crowd = int(rng.random() < 0.1)
            area = w * h if rng.random() < 0.6 else round(w * h * rng.uniform(0.4, 1.0), 3)
            cat = int(rng.choice(cats))
            annotations.append({'id': len(annotations) + 1, 'image_id': img, 'category_id': cat,
                                'bbox': [x, y, w, h], 'area': area, 'iscrowd': crowd})
            objects.append((cat, [x, y, w, h]))
        for _ in range(int(rng.integers(0, n_dets + 1))):
            if objects and rng.random() < 0.7:
                cat, (x, y, w, h) = objects[int(rng.integers(0, len(objects)))]
                if rng.random() < 0.2:
                    cat = int(rng.choice(cats))
                j = rng.normal(0, 0.06, 4) * [w, h, w, h]
                if rng.random() < 0.3:
                    j = np.round(j)
                box = [x + j[0], y + j[1], max(1.0, w + j[2]), max(1.0, h + j[3])]
            else:
                cat = int(rng.choice(cats))
                box = [float(rng.uniform(0, W)), float(rng.uniform(0, H)), float(rng.uniform(2, 150)), float(rng.uniform(2, 150))]
            score = float(rng.random())
            if rng.random() < 0.4:
                score = round(score, 2)
            results.append({'image_id': img, 'category_id': cat, 'bbox': [float(v) for v in box], 'score': score})
    categories = [{'id': c, 'name': 'class%d' % c} for c in cats]
    rng.shuffle(categories)
    return {'images': images, 'annotations': annotations, 'categories': categories}, results


def crafted_cases():
    cases = []
    cat = [{'id': 1, 'name': 'a'}, {'id': 3, 'name': 'b'}, {'id': 7, 'name': 'no ground truth'}]
    img = lambda i: {'id': i, 'file_name': '%d.jpg' % i, 'width': 400, 'height': 400}
    ann = lambda i, image, c, box, **kw: dict({'id': i, 'image_id': image, 'category_id': c, 'bbox': box,
                                              'area': box[2] * box[3], 'iscrowd': 0}, **kw)
    # Areas exactly 32² and 96², both ranges' ends; a crowd region catching several detections; an
    # image with no objects; a category with detections and no ground truth; tied scores.
    gt = {'images': [img(1), img(2), img(5)], 'categories': cat, 'annotations': [
        ann(1, 1, 1, [10, 10, 32, 32]), ann(2, 1, 1, [100, 100, 96, 96]), ann(3, 1, 3, [50, 60, 40, 25.6]),
        ann(4, 1, 1, [200, 200, 150, 150], iscrowd=1), ann(5, 2, 3, [0, 0, 10, 10]), ann(6, 2, 1, [20, 20, 64, 64], area=9216.0),
        ann(7, 2, 1, [120, 120, 64, 64], area=1024.0)]}
    res = [{'image_id': 1, 'category_id': 1, 'bbox': [10, 10, 32, 32], 'score': 0.9},
           {'image_id': 1, 'category_id': 1, 'bbox': [11, 10, 32, 32], 'score': 0.9},
           {'image_id': 1, 'category_id': 1, 'bbox': [100, 100, 96, 96], 'score': 0.8},
           {'image_id': 1, 'category_id': 1, 'bbox': [210, 210, 40, 40], 'score': 0.85},
           {'image_id': 1, 'category_id': 1, 'bbox': [260, 260, 40, 40], 'score': 0.7},
           {'image_id': 1, 'category_id': 3, 'bbox': [50, 60, 40, 25.6], 'score': 0.6},
           {'image_id': 2, 'category_id': 3, 'bbox': [0, 0, 10, 10], 'score': 0.6},
           {'image_id': 2, 'category_id': 1, 'bbox': [20, 20, 64, 64], 'score': 0.6},
           {'image_id': 2, 'category_id': 1, 'bbox': [122, 120, 64, 64], 'score': 0.6},
           {'image_id': 5, 'category_id': 1, 'bbox': [0, 0, 50, 50], 'score': 0.95},
           {'image_id': 5, 'category_id': 7, 'bbox': [0, 0, 50, 50], 'score': 0.5},
           {'image_id': 2, 'category_id': 7, 'bbox': [5, 5, 50, 50], 'score': 0.4}]
    cases.append(('areas on the range ends, crowds, empty images, a category without ground truth, ties', gt, res))
    # 150 detections of one class in one image: the 100 best count, then 10 and 1 of them.
    rng = np.random.default_rng(7)
    gt = {'images': [img(1), img(2)], 'categories': cat[:1],
          'annotations': [ann(i + 1, 1, 1, [float(20 * (i % 10)), float(20 * (i // 10)), 18.0, 18.0]) for i in range(60)]}
    res = [{'image_id': 1, 'category_id': 1, 'bbox': [float(20 * (i % 10)) + float(rng.integers(-3, 4)),
                                                       float(20 * ((i % 60) // 10)), 18.0, 18.0],
            'score': float(round(rng.random(), 1))} for i in range(150)]
    res += [{'image_id': 2, 'category_id': 1, 'bbox': [1.0, 1.0, 30.0, 30.0], 'score': 0.99}]
    cases.append(('more than 100 detections of a class in an image, tied scores', gt, res))
    # No detections at all.
    cases.append(('no detections', {'images': [img(1)], 'categories': cat[:2],
                                    'annotations': [ann(1, 1, 1, [10, 10, 50, 50])]}, []))
    return cases


def tie_case(rng, n_images):
    """Decimal boxes [x, y, w, h] whose true IoU with a detection is exactly 0.5 (shifted by w/3) or 0.75
    (by w/7), and boxes and detections whose true area is exactly 32² or 96²: in floating point each
    lands on one side of its threshold, and only pycocotools' own arithmetic lands where it does."""
    cats = [1, 2]
    images, annotations, results = [], [], []
    on_edge = [(25.6, 40.0), (12.8, 80.0), (51.2, 20.0), (76.8, 120.0), (115.2, 80.0), (38.4, 240.0)]
    for img in range(1, n_images + 1):
        images.append({'id': img, 'file_name': '%d.jpg' % img, 'width': 900, 'height': 900})
        for _ in range(int(rng.integers(2, 9))):
            x, y = round(float(rng.uniform(0, 600)), 2), round(float(rng.uniform(0, 600)), 2)
            kind = rng.random()
            if kind < 0.35:
                w, h = on_edge[int(rng.integers(0, len(on_edge)))]
            elif kind < 0.7:
                w, h = round(0.03 * int(rng.integers(100, 3000)), 2), round(float(rng.uniform(5, 200)), 2)
            else:
                w, h = round(0.07 * int(rng.integers(100, 2000)), 2), round(float(rng.uniform(5, 200)), 2)
            cat = int(rng.choice(cats))
            annotations.append({'id': len(annotations) + 1, 'image_id': img, 'category_id': cat,
                                'bbox': [x, y, w, h], 'area': w * h, 'iscrowd': 0})
            for _ in range(int(rng.integers(1, 4))):
                shift = rng.choice([w / 3, w / 7, 0.0, -w / 3, -w / 7])
                dx, dy = (round(float(shift), 2), 0.0) if rng.random() < 0.5 else (0.0, round(float(shift) * h / w, 2))
                box = [round(x + dx, 2), round(y + dy, 2), w, h]
                if rng.random() < 0.3:  # a detection of its own whose area sits on a range's end
                    ew, eh = on_edge[int(rng.integers(0, len(on_edge)))]
                    box = [round(float(rng.uniform(0, 700)), 2), round(float(rng.uniform(0, 700)), 2), ew, eh]
                results.append({'image_id': img, 'category_id': cat, 'bbox': box, 'score': round(float(rng.random()), 2)})
    return {'images': images, 'annotations': annotations,
            'categories': [{'id': c, 'name': 'class%d' % c} for c in cats]}, results


def id_cases():
    """Image ids as the file gives them: negative, zero, far apart; file names sharing a stem."""
    img = lambda i, name: {'id': i, 'file_name': name, 'width': 200, 'height': 200}
    ann = lambda i, image, box: {'id': i, 'image_id': image, 'category_id': 1, 'bbox': box,
                                 'area': box[2] * box[3], 'iscrowd': 0}
    gt = {'images': [img(-3, 'a.jpg'), img(0, 'a.png'), img(7, 'b.jpg'), img(-100, 'c.jpg')],
          'categories': [{'id': 1, 'name': 'a'}],
          'annotations': [ann(1, -3, [10, 10, 50, 50]), ann(2, 0, [20, 20, 40, 40]), ann(3, 7, [5, 5, 30, 60]),
                          ann(4, -100, [100, 100, 60, 60]), ann(5, -3, [120, 30, 40, 40])]}
    res = [{'image_id': -3, 'category_id': 1, 'bbox': [10, 10, 50, 50], 'score': 0.9},
           {'image_id': 0, 'category_id': 1, 'bbox': [10, 10, 50, 50], 'score': 0.8},
           {'image_id': 7, 'category_id': 1, 'bbox': [6, 5, 30, 60], 'score': 0.7},
           {'image_id': -100, 'category_id': 1, 'bbox': [100, 112, 60, 60], 'score': 0.6},
           {'image_id': -3, 'category_id': 1, 'bbox': [20, 20, 40, 40], 'score': 0.5}]
    return [('negative and zero image ids, two files that differ only in extension', gt, res)]


def real_pycocotools():
    """pycocotools' COCO and COCOeval built from ../shared/reference, or None where it is absent."""
    reference = os.path.join(HERE, '..', '..', '..', 'shared', 'reference')
    if not os.path.isdir(reference):
        print('../shared/reference is absent: every case is scored by the port alone (said per case)', file=sys.stderr)
        return None
    out = os.path.join(HERE, '..', '..', 'build', 'pycocotools')
    if not os.path.exists(os.path.join(out, 'PythonAPI', 'pycocotools', 'cocoeval.py')):
        subprocess.run([os.path.join(reference, 'build_pycocotools.sh'), out], check=True, stdout=sys.stderr)
    sys.path.insert(0, os.path.join(out, 'PythonAPI'))
    np.float = float  # cocoeval.py's accumulate() uses np.float, gone from numpy >= 1.24 (nothing else is patched)
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    def evaluate(dataset, results):
        with contextlib.redirect_stdout(io.StringIO()):
            gt = COCO()
            gt.dataset = copy.deepcopy(dataset)
            gt.createIndex()
            e = COCOeval(gt, gt.loadRes(copy.deepcopy(results)), 'bbox')
            e.evaluate()
            e.accumulate()
            e.summarize()
        return [float(v) for v in e.stats]
    return evaluate


REAL = 'pycocotools (cocodataset/cocoapi 8c9bcc3, ../shared/reference)'


def main():
    real = real_pycocotools()
    named = [(name, gt, res) for name, gt, res in crafted_cases()] + id_cases()
    for seed in range(24):
        rng = np.random.default_rng(1000 + seed)
        gt, res = random_case(rng, int(rng.integers(1, 16)), int(rng.integers(0, 40)) if seed % 6 else 130)
        named.append(('random %d' % seed, gt, res))
    for seed in range(40):
        rng = np.random.default_rng(5000 + seed)
        gt, res = tie_case(rng, int(rng.integers(1, 6)))
        named.append(('exact ties %d' % seed, gt, res))
    cases, largest = [], 0.0
    for name, gt, res in named:
        port = coco_eval(gt, res)
        if real is None or not res:
            why = 'the real one is absent' if real is None else "the real one's loadRes fails on an empty list"
            cases.append({'name': name, 'oracle': 'port of pycocotools (%s)' % why, 'ground_truth': gt, 'results': res,
                          'stats': port})
            continue
        stats = real(gt, res)
        difference = max(abs(a - b) for a, b in zip(stats, port))
        assert difference <= 1e-12, '%s: the port differs from pycocotools by %g: %s against %s' % (name, difference, port, stats)
        largest = max(largest, difference)
        cases.append({'name': name, 'oracle': REAL, 'ground_truth': gt, 'results': res, 'stats': stats})
    out = os.path.join(HERE, 'coco_eval.json')
    with open(out, 'w') as f:
        json.dump({'cases': cases}, f)
    print('wrote %d cases to %s (%d from the real pycocotools; the port differs by at most %g)' %
          (len(cases), out, sum(c['oracle'] == REAL for c in cases), largest), file=sys.stderr)


if __name__ == '__main__':
    main()
