// SPDX-License-Identifier: GPL-2.0
/*
 * podcam: the GPIO chip of a camera.
 *
 * Line 0, "podcam-trigger", is an input with edge interrupts: the doorbell
 * button or the van's "stopped" signal. Its level is set through debugfs
 * (the trigger file), and a change raises a nested threaded interrupt
 * from that write, so gpiolib-cdev (libgpiod, gpiomon) sees an edge event.
 * Line 1, "podcam-flash", drives the flash: it is the value of the
 * V4L2_CID_ILLUMINATORS_1 control, and setting the line sets the control.
 *
 * The interrupt domain is allocated here and given to gpiolib with
 * gpiochip_irqchip_add_domain() instead of letting gpiolib build one.
 * gpiochip_remove() disposes of the mappings of a domain it owns even when
 * gpiolib-cdev still has the interrupt requested (a process waiting for
 * edges while the device is unbound); in 6.1 that frees the descriptor
 * under the action and warns. A removed camera's domain is parked instead
 * and disposed of when the module is unloaded: every line request holds a
 * reference on this module, so by then no interrupt can be requested.
 */

#include <linux/debugfs.h>
#include <linux/interrupt.h>
#include <linux/irq.h>
#include <linux/irqdomain.h>
#include <linux/kstrtox.h>
#include <linux/slab.h>

#include "podcam.h"

/**
 * struct podcam_irq - interrupt domain of one camera's trigger line
 * @domain: the domain; only the trigger line maps to an interrupt
 * @virq: the trigger line's interrupt
 * @type: edges that raise it (IRQ_TYPE_EDGE_*), set through irq_set_type
 * @parked: entry in podcam_irq_parked once its camera is gone
 *
 * Allocated separately from &struct podcam_dev because it outlives it.
 */
struct podcam_irq {
	struct irq_domain *domain;
	unsigned int virq;
	unsigned int type;
	struct list_head parked;
};

static LIST_HEAD(podcam_irq_parked);
static DEFINE_MUTEX(podcam_irq_parked_lock);

static const char *const podcam_line_names[PODCAM_NUM_LINES] = {
	[PODCAM_LINE_TRIGGER] = "podcam-trigger",
	[PODCAM_LINE_FLASH] = "podcam-flash",
};

static int podcam_irq_set_type(struct irq_data *d, unsigned int type)
{
	struct podcam_irq *pirq = irq_data_get_irq_chip_data(d);

	if (type & ~IRQ_TYPE_EDGE_BOTH)
		return -EINVAL;
	WRITE_ONCE(pirq->type, type);
	return 0;
}

static const struct irq_chip podcam_irq_chip = {
	.name = PODCAM_NAME,
	.irq_set_type = podcam_irq_set_type,
	.flags = IRQCHIP_SKIP_SET_WAKE,
};

static int podcam_irq_map(struct irq_domain *d, unsigned int virq,
			  irq_hw_number_t hwirq)
{
	if (hwirq != PODCAM_LINE_TRIGGER)
		return -ENXIO;

	irq_set_chip_data(virq, d->host_data);
	irq_set_chip_and_handler(virq, &podcam_irq_chip, handle_simple_irq);
	irq_set_nested_thread(virq, true);
	irq_set_noprobe(virq);
	return 0;
}

static void podcam_irq_unmap(struct irq_domain *d, unsigned int virq)
{
	irq_set_nested_thread(virq, false);
	irq_set_chip_and_handler(virq, NULL, NULL);
	irq_set_chip_data(virq, NULL);
}

static const struct irq_domain_ops podcam_irq_domain_ops = {
	.map = podcam_irq_map,
	.unmap = podcam_irq_unmap,
	.xlate = irq_domain_xlate_twocell,
};

int podcam_irq_alloc(struct podcam_dev *dev)
{
	struct podcam_irq *pirq;

	pirq = kzalloc(sizeof(*pirq), GFP_KERNEL);
	if (!pirq)
		return -ENOMEM;

	pirq->domain = irq_domain_create_linear(NULL, PODCAM_NUM_LINES,
						&podcam_irq_domain_ops, pirq);
	if (!pirq->domain)
		goto err_free_pirq;

	pirq->virq = irq_create_mapping(pirq->domain, PODCAM_LINE_TRIGGER);
	if (!pirq->virq)
		goto err_remove_domain;

	dev->irq = pirq;
	return 0;

err_remove_domain:
	irq_domain_remove(pirq->domain);
err_free_pirq:
	kfree(pirq);
	return -ENOMEM;
}

/* The GPIO chip is gone; see the comment at the top. */
void podcam_irq_release(struct podcam_dev *dev)
{
	mutex_lock(&podcam_irq_parked_lock);
	list_add_tail(&dev->irq->parked, &podcam_irq_parked);
	mutex_unlock(&podcam_irq_parked_lock);
	dev->irq = NULL;
}

/* Module unload: no line is requested any more. */
void podcam_gpio_exit(void)
{
	struct podcam_irq *pirq, *tmp;

	mutex_lock(&podcam_irq_parked_lock);
	list_for_each_entry_safe(pirq, tmp, &podcam_irq_parked, parked) {
		list_del(&pirq->parked);
		irq_dispose_mapping(pirq->virq);
		irq_domain_remove(pirq->domain);
		kfree(pirq);
	}
	mutex_unlock(&podcam_irq_parked_lock);
}

static int podcam_gpio_get_direction(struct gpio_chip *gc,
				     unsigned int offset)
{
	struct podcam_dev *dev = gpiochip_get_data(gc);

	if (offset == PODCAM_LINE_FLASH && READ_ONCE(dev->flash_is_out))
		return GPIO_LINE_DIRECTION_OUT;
	return GPIO_LINE_DIRECTION_IN;
}

/*
 * The flash line may be read back as an input (gpioget does that); the
 * flash then still follows the control, only the line no longer drives it.
 */
static int podcam_gpio_direction_input(struct gpio_chip *gc,
				       unsigned int offset)
{
	struct podcam_dev *dev = gpiochip_get_data(gc);

	if (offset == PODCAM_LINE_FLASH)
		WRITE_ONCE(dev->flash_is_out, false);
	return 0;
}

/* The trigger is a button or a sensor output: it cannot be driven. */
static int podcam_gpio_direction_output(struct gpio_chip *gc,
					unsigned int offset, int value)
{
	struct podcam_dev *dev = gpiochip_get_data(gc);

	if (offset != PODCAM_LINE_FLASH)
		return -EPERM;

	WRITE_ONCE(dev->flash_is_out, true);
	podcam_video_set_flash(dev, value);
	return 0;
}

static int podcam_gpio_get(struct gpio_chip *gc, unsigned int offset)
{
	struct podcam_dev *dev = gpiochip_get_data(gc);

	if (offset == PODCAM_LINE_TRIGGER)
		return READ_ONCE(dev->trigger);
	return READ_ONCE(dev->flash);
}

static void podcam_gpio_set(struct gpio_chip *gc, unsigned int offset,
			    int value)
{
	struct podcam_dev *dev = gpiochip_get_data(gc);

	if (offset == PODCAM_LINE_FLASH)
		podcam_video_set_flash(dev, value);
}

int podcam_gpio_add(struct podcam_dev *dev)
{
	struct gpio_chip *gc = &dev->gc;
	int ret;

	snprintf(dev->gpio_label, sizeof(dev->gpio_label), "podcam-%s",
		 dev->role);
	dev->flash_is_out = true;

	gc->label = dev->gpio_label;
	gc->parent = &dev->pdev->dev;
	gc->owner = THIS_MODULE;
	gc->base = -1;
	gc->ngpio = PODCAM_NUM_LINES;
	gc->names = podcam_line_names;
	/* Setting the flash line takes the control handler's mutex. */
	gc->can_sleep = true;
	gc->get_direction = podcam_gpio_get_direction;
	gc->direction_input = podcam_gpio_direction_input;
	gc->direction_output = podcam_gpio_direction_output;
	gc->get = podcam_gpio_get;
	gc->set = podcam_gpio_set;

	ret = gpiochip_add_data(gc, dev);
	if (ret)
		return ret;

	ret = gpiochip_irqchip_add_domain(gc, dev->irq->domain);
	if (ret)
		goto err_remove_chip;
	return 0;

err_remove_chip:
	gpiochip_remove(gc);
	return ret;
}

void podcam_gpio_remove(struct podcam_dev *dev)
{
	gpiochip_remove(&dev->gc);
}

/*
 * Sets the trigger level and raises the interrupt for the edge. The
 * interrupt's thread handler runs here, in process context, and reads the
 * level back through podcam_gpio_get(), which therefore takes no lock.
 */
static void podcam_gpio_set_trigger(struct podcam_dev *dev, bool level)
{
	unsigned int edge = level ? IRQ_TYPE_EDGE_RISING :
				    IRQ_TYPE_EDGE_FALLING;

	mutex_lock(&dev->trigger_lock);
	if (level != dev->trigger) {
		WRITE_ONCE(dev->trigger, level);
		if (READ_ONCE(dev->irq->type) & edge)
			handle_nested_irq(dev->irq->virq);
	}
	mutex_unlock(&dev->trigger_lock);
}

static ssize_t podcam_trigger_read(struct file *file, char __user *ubuf,
				   size_t count, loff_t *ppos)
{
	struct podcam_dev *dev = file->private_data;
	char buf[2] = { READ_ONCE(dev->trigger) ? '1' : '0', '\n' };

	return simple_read_from_buffer(ubuf, count, ppos, buf, sizeof(buf));
}

static ssize_t podcam_trigger_write(struct file *file,
				    const char __user *ubuf, size_t count,
				    loff_t *ppos)
{
	struct podcam_dev *dev = file->private_data;
	bool level;
	int ret;

	ret = kstrtobool_from_user(ubuf, count, &level);
	if (ret)
		return ret;

	podcam_gpio_set_trigger(dev, level);
	return count;
}

const struct file_operations podcam_trigger_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.read = podcam_trigger_read,
	.write = podcam_trigger_write,
	.llseek = default_llseek,
};
