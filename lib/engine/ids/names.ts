// Container names: Docker's rule (daemon/names: [a-zA-Z0-9][a-zA-Z0-9_.-]+), stored
// with a leading "/", and generated "adjective_surname" names when none is given.
import { randomInt } from 'node:crypto';

export const NAME_RE = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

export function validName(name: string): boolean {
  return NAME_RE.test(name);
}

/** "/x" for "x" or "/x". */
export const canonicalName = (name: string): string => (name.startsWith('/') ? name : `/${name}`);

const LEFT = [
  'admiring', 'adoring', 'agitated', 'amazing', 'angry', 'awesome', 'blissful', 'bold', 'brave', 'busy',
  'charming', 'clever', 'compassionate', 'competent', 'confident', 'cool', 'dazzling', 'determined', 'eager', 'ecstatic',
  'elastic', 'elated', 'elegant', 'epic', 'exciting', 'fervent', 'festive', 'focused', 'friendly', 'frosty',
  'gallant', 'gifted', 'goofy', 'gracious', 'happy', 'hopeful', 'hungry', 'infallible', 'inspiring', 'jolly',
  'keen', 'kind', 'laughing', 'loving', 'lucid', 'magical', 'modest', 'musing', 'nervous', 'nice',
  'nifty', 'nostalgic', 'objective', 'optimistic', 'peaceful', 'pedantic', 'pensive', 'practical', 'priceless', 'quirky',
  'quizzical', 'relaxed', 'reverent', 'romantic', 'serene', 'sharp', 'silly', 'sleepy', 'stoic', 'strange',
  'suspicious', 'sweet', 'tender', 'thirsty', 'trusting', 'upbeat', 'vibrant', 'vigilant', 'wizardly', 'wonderful',
  'xenodochial', 'youthful', 'zealous', 'zen',
];

const RIGHT = [
  'agnesi', 'albattani', 'allen', 'archimedes', 'babbage', 'banach', 'bardeen', 'bartik', 'bassi', 'bell',
  'bhabha', 'blackwell', 'bohr', 'booth', 'borg', 'bose', 'boyd', 'brahmagupta', 'brown', 'carson',
  'cerf', 'chandrasekhar', 'chatelet', 'clarke', 'curie', 'darwin', 'davinci', 'dijkstra', 'easley', 'einstein',
  'elion', 'euclid', 'euler', 'fermat', 'fermi', 'feynman', 'franklin', 'galileo', 'gauss', 'goldberg',
  'goodall', 'hamilton', 'hawking', 'heisenberg', 'hermann', 'hodgkin', 'hopper', 'hypatia', 'jackson', 'jang',
  'johnson', 'kalam', 'keller', 'kepler', 'knuth', 'kowalevski', 'lamarr', 'leakey', 'lovelace', 'lumiere',
  'mayer', 'mccarthy', 'meitner', 'mendel', 'mirzakhani', 'montalcini', 'morse', 'napier', 'newton', 'nobel',
  'noether', 'pascal', 'pasteur', 'payne', 'perlman', 'pike', 'poincare', 'ptolemy', 'raman', 'ritchie',
  'rosalind', 'sammet', 'shannon', 'shaw', 'sinoussi', 'stonebraker', 'swanson', 'tesla', 'thompson', 'torvalds',
  'turing', 'varahamihira', 'wescoff', 'wilbur', 'wiles', 'williams', 'wozniak', 'wright', 'yalow', 'yonath',
];

/**
 * A free "adjective_surname" name (with a digit appended after collisions, as
 * Docker's namesgenerator does on retry). `taken` answers for "/name".
 */
export function generateName(taken: (name: string) => boolean): string {
  for (let retry = 0; ; retry++) {
    let n = `${LEFT[randomInt(LEFT.length)]}_${RIGHT[randomInt(RIGHT.length)]}`;
    // Docker's one exception: Steve Wozniak is not boring.
    if (n === 'boring_wozniak') continue;
    if (retry > 0) n += String(randomInt(10 * Math.min(retry, 1000)));
    if (!taken(`/${n}`)) return n;
  }
}
